package otlp

import (
	"encoding/binary"
	"encoding/hex"
	"hash/fnv"

	"go.opentelemetry.io/otel/trace"

	"github.com/loupe-dev/loupe/api/flow"
)

// flowIDs returns the trace, span and parent span ids of an L7 flow. A flow
// without a valid trace id (the request came without traceparent and the
// proxy did not start a trace) gets one derived from its node and flow id:
// a trace of its own, the same every time the flow is exported.
func flowIDs(f *flow.Flow) (tid trace.TraceID, sid, parent trace.SpanID) {
	tc := f.GetTraceContext()
	tid, _ = trace.TraceIDFromHex(tc.GetTraceId())
	sid, _ = trace.SpanIDFromHex(tc.GetSpanId())
	if tid.IsValid() {
		parent, _ = trace.SpanIDFromHex(tc.GetParentSpanId())
	}
	if !tid.IsValid() || !sid.IsValid() {
		h := fnv.New128a()
		h.Write([]byte(f.GetNodeName()))
		var id [8]byte
		binary.BigEndian.PutUint64(id[:], f.GetId())
		h.Write(id[:])
		sum := h.Sum(nil)
		if !tid.IsValid() {
			copy(tid[:], sum)
		}
		if !sid.IsValid() {
			copy(sid[:], sum[8:])
			sid[0] |= 0x80 // never all zero
		}
	}
	return tid, sid, parent
}

// hexID is a log record's view of a trace id string, empty when invalid.
func hexID(s string, n int) string {
	if len(s) != 2*n {
		return ""
	}
	if _, err := hex.DecodeString(s); err != nil {
		return ""
	}
	return s
}
