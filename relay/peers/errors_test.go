package peers

import (
	"errors"
	"fmt"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

func TestErrorText(t *testing.T) {
	rpc := status.Error(codes.Unavailable, "connection refused")
	for err, want := range map[error]string{
		rpc:                                  "connection refused",
		fmt.Errorf("read status: %w", rpc):   "read status: connection refused",
		errors.New("plain"):                  "plain",
		fmt.Errorf("a: %w", errors.New("b")): "a: b",
	} {
		if got := ErrorText(err); got != want {
			t.Errorf("ErrorText(%v) = %q, want %q", err, got, want)
		}
	}
}
