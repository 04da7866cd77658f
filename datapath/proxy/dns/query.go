package dnsproxy

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/miekg/dns"

	"github.com/loupe-dev/loupe/api/flow"
	"github.com/loupe-dev/loupe/datapath/proxy"
)

// exchangeFunc sends a query to the server and returns its answer.
type exchangeFunc func(ctx context.Context, q []byte) ([]byte, error)

// handle decides and serves one message: the reply to send (nil: none),
// and whether the client may go on (false after input whose header could
// not be read: on TCP the framing cannot be trusted any more).
func (h *Handler) handle(ctx context.Context, raw []byte, m *proxy.Conn, exchange exchangeFunc) ([]byte, bool) {
	start := time.Now()
	var req dns.Msg
	if err := req.Unpack(raw); err != nil {
		return h.malformed(start, raw, m, fmt.Errorf("unpack query: %w", err))
	}
	switch {
	case req.Response:
		return h.malformed(start, raw, m, errors.New("a response where a query was expected"))
	case len(req.Question) != 1:
		return h.malformed(start, raw, m, fmt.Errorf("%d questions: want 1", len(req.Question)))
	case req.Opcode != dns.OpcodeQuery:
		h.stats.malformed.Add(1)
		h.emit(errorFlow(m, start, &req, dns.RcodeNotImplemented))
		return pack(reply(&req, dns.RcodeNotImplemented)), true
	}
	h.stats.queries.Add(1)
	q := req.Question[0]
	v := m.Policy.DNS(q.Name)
	if !v.Allowed {
		h.stats.denied.Add(1)
		h.emit(requestFlow(m, start, flow.Verdict_DROPPED, &q, v))
		return pack(reply(&req, dns.RcodeRefused)), true
	}
	h.stats.forwarded.Add(1)
	h.emit(requestFlow(m, start, flow.Verdict_FORWARDED, &q, v))

	xctx, cancel := context.WithTimeout(ctx, h.cfg.Timeout)
	ans, err := exchange(xctx, raw)
	cancel()
	var resp dns.Msg
	if err == nil {
		err = resp.Unpack(ans)
		if err == nil && (resp.Id != req.Id || !sameQuestion(&resp, &q)) {
			err = errors.New("answer to another query")
		}
	}
	if err != nil {
		h.stats.upstreamErrors.Add(1)
		h.log.Debug("dns upstream", "server", m.Dst, "query", q.Name, "error", err)
		return h.servfail(start, &req, m, v), true
	}
	a := summarize(&resp, q.Name)
	if len(a.ips) > 0 && h.names != nil {
		lctx, cancel := context.WithTimeout(ctx, h.cfg.LearnTimeout)
		err := h.names.Learn(lctx, q.Name, a.ips, a.ttl, a.cnames)
		cancel()
		if err != nil {
			h.stats.learnErrors.Add(1)
			h.log.Warn("dns answer held back", "query", q.Name, "error", err)
			return h.servfail(start, &req, m, v), true
		}
	}
	h.emit(responseFlow(m, start, flow.Verdict_FORWARDED, &req, &resp, a, v))
	return ans, true
}

// malformed answers input that is not a query: FORMERR when a query
// header can be read, nothing otherwise (and never to a response, which
// could start a loop between two proxies).
func (h *Handler) malformed(start time.Time, raw []byte, m *proxy.Conn, err error) ([]byte, bool) {
	h.stats.malformed.Add(1)
	h.log.Debug("dns malformed", "client", m.Src, "error", err)
	if len(raw) < 12 || raw[2]&0x80 != 0 {
		h.emit(errorFlow(m, start, nil, -1))
		return nil, len(raw) >= 12
	}
	h.emit(errorFlow(m, start, nil, dns.RcodeFormatError))
	return formErr(raw), true
}

func (h *Handler) servfail(start time.Time, req *dns.Msg, m *proxy.Conn, v proxy.Verdict) []byte {
	resp := reply(req, dns.RcodeServerFailure)
	h.emit(responseFlow(m, start, flow.Verdict_ERROR, req, resp, answer{}, v))
	return pack(resp)
}

func sameQuestion(resp *dns.Msg, q *dns.Question) bool {
	// A server may answer without the question (some do for errors).
	if len(resp.Question) == 0 {
		return true
	}
	r := resp.Question[0]
	return r.Qtype == q.Qtype && r.Qclass == q.Qclass && dns.CanonicalName(r.Name) == dns.CanonicalName(q.Name)
}
