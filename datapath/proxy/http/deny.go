package httpproxy

import (
	"net/http"
	"strings"

	"github.com/loupe-dev/loupe/datapath/policy"
)

// denyAll allows nothing: an L7 set without grants.
var denyAll = &policy.L7Set{}

// deniedBody is what a denied request gets, as from Cilium's Envoy.
const deniedBody = "Access denied\n"

// gRPC status codes the proxy answers with.
const (
	grpcPermissionDenied = "7"
	grpcUnavailable      = "14"
)

func isGRPC(h http.Header) bool {
	return strings.HasPrefix(h.Get("Content-Type"), "application/grpc")
}

// writeGRPCStatus answers a gRPC call with a trailers-only response: HTTP
// 200, the status in the headers, no messages.
func writeGRPCStatus(w http.ResponseWriter, code, msg string) {
	h := w.Header()
	h.Set("Content-Type", "application/grpc")
	h.Set("Grpc-Status", code)
	h.Set("Grpc-Message", msg)
	w.WriteHeader(http.StatusOK)
}

// writeLocal answers a request on the proxy's behalf (HTTP/2).
func writeLocal(w http.ResponseWriter, r *http.Request, code int, body string) {
	if isGRPC(r.Header) {
		status := grpcUnavailable
		if code == http.StatusForbidden {
			status = grpcPermissionDenied
		}
		writeGRPCStatus(w, status, strings.TrimSpace(body))
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(code)
	_, _ = w.Write([]byte(body))
}
