package httpproxy

import (
	"net/http"
	"time"

	"github.com/loupe-dev/loupe/api/flow"
	"github.com/loupe-dev/loupe/datapath/proxy"
)

// exchange is one request as its flows record it.
type exchange struct {
	start    time.Time
	method   string
	url      string
	protocol string
	headers  []*flow.HTTPHeader
	trace    *flow.TraceContext
	policies []string
}

// newExchange records a request read at start; it takes the request's
// span (rewriting its traceparent) before the headers are recorded, so
// flows show what the server receives.
func (h *Handler) newExchange(r *http.Request, protocol string, start time.Time) *exchange {
	x := &exchange{start: start, method: r.Method, protocol: protocol}
	x.trace = startSpan(r.Header)
	x.url = h.redact.url(r.Host, r)
	x.headers = h.redact.headers(r.Header)
	return x
}

func (x *exchange) l7(typ flow.L7FlowType, code int, headers []*flow.HTTPHeader, latency time.Duration) *flow.Layer7 {
	return &flow.Layer7{
		Type:      typ,
		LatencyNs: uint64(max(latency, 0)),
		Record: &flow.Layer7_Http{Http: &flow.HTTP{
			Code: uint32(code), Method: x.method, Url: x.url, Protocol: x.protocol, Headers: headers,
		}},
	}
}

// emitRequest reports the policy's verdict on a request.
func (h *Handler) emitRequest(m *proxy.Conn, x *exchange, v proxy.Verdict) {
	verdict := flow.Verdict_FORWARDED
	code := 0
	if !v.Allowed {
		verdict, code = flow.Verdict_DROPPED, http.StatusForbidden
	}
	x.policies = v.Policies
	f := m.NewFlow(x.start, verdict, x.l7(flow.L7FlowType_REQUEST, code, x.headers, 0))
	f.PolicyNames = v.Policies
	f.TraceContext = x.trace
	h.emit(f)
}

// emitResponse reports the server's answer (or the proxy's, verdict
// ERROR, when the server could not be reached).
func (h *Handler) emitResponse(m *proxy.Conn, x *exchange, verdict flow.Verdict, code int, hdr http.Header, at time.Time) {
	f := m.NewFlow(at, verdict, x.l7(flow.L7FlowType_RESPONSE, code, h.redact.headers(hdr), at.Sub(x.start)))
	f.PolicyNames = x.policies
	f.TraceContext = x.trace
	h.emit(f)
}

// emitError reports a request the proxy could not read: x holds what was
// read of it, if anything.
func (h *Handler) emitError(m *proxy.Conn, x *exchange, protocol string, code int) {
	if x == nil {
		x = &exchange{protocol: protocol}
	}
	f := m.NewFlow(time.Now(), flow.Verdict_ERROR, x.l7(flow.L7FlowType_REQUEST, code, x.headers, 0))
	f.TraceContext = x.trace
	h.emit(f)
}
