package httpproxy

import (
	"crypto/rand"
	"encoding/hex"
	"net/http"

	"github.com/loupe-dev/loupe/api/flow"
)

// traceParent is a valid W3C traceparent header.
type traceParent struct {
	traceID, parentID, flags string
}

// parseTraceParent validates a traceparent value strictly (W3C Trace
// Context, level 1): "vv-<32 hex>-<16 hex>-ff", lower-case hex, version
// not ff, ids not all zero; version 00 has nothing after the flags, later
// versions may, after a dash.
func parseTraceParent(v string) (traceParent, bool) {
	if len(v) < 55 || v[2] != '-' || v[35] != '-' || v[52] != '-' {
		return traceParent{}, false
	}
	version := v[0:2]
	if !lowerHex(version) || version == "ff" {
		return traceParent{}, false
	}
	if version == "00" && len(v) != 55 || len(v) > 55 && v[55] != '-' {
		return traceParent{}, false
	}
	tp := traceParent{traceID: v[3:35], parentID: v[36:52], flags: v[53:55]}
	if !lowerHex(tp.traceID) || !lowerHex(tp.parentID) || !lowerHex(tp.flags) ||
		allZero(tp.traceID) || allZero(tp.parentID) {
		return traceParent{}, false
	}
	return tp, true
}

// String is the traceparent as this proxy sends it on: version 00, the
// only one it knows.
func (tp traceParent) String() string {
	return "00-" + tp.traceID + "-" + tp.parentID + "-" + tp.flags
}

func lowerHex(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

func allZero(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] != '0' {
			return false
		}
	}
	return true
}

// newSpanID is a random, non-zero 8-byte span id in hex.
func newSpanID() string {
	var b [8]byte
	for {
		_, _ = rand.Read(b[:]) // crypto/rand.Read never fails.
		if b != [8]byte{} {
			return hex.EncodeToString(b[:])
		}
	}
}

// startSpan reads the request's traceparent and, when it is valid, gives
// the request a span of the proxy's own: the flows' trace context, and a
// rewritten traceparent parented on that span. A missing or invalid
// traceparent (or several) leaves the request alone: the proxy starts no
// traces.
func startSpan(h http.Header) *flow.TraceContext {
	vs := h.Values("Traceparent")
	if len(vs) != 1 {
		return nil
	}
	tp, ok := parseTraceParent(vs[0])
	if !ok {
		return nil
	}
	tc := &flow.TraceContext{TraceId: tp.traceID, ParentSpanId: tp.parentID, SpanId: newSpanID()}
	tp.parentID = tc.SpanId
	h.Set("Traceparent", tp.String())
	return tc
}
