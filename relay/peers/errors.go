package peers

import (
	"errors"
	"strings"

	"google.golang.org/grpc/status"
)

// ErrorText is err for people: gRPC's "rpc error: code = X desc = " is
// dropped from the message of the status it wraps.
func ErrorText(err error) string {
	if err == nil {
		return ""
	}
	for e := err; e != nil; e = errors.Unwrap(e) {
		if se, ok := e.(interface{ GRPCStatus() *status.Status }); ok {
			return strings.TrimSuffix(err.Error(), e.Error()) + se.GRPCStatus().Message()
		}
	}
	return err.Error()
}
