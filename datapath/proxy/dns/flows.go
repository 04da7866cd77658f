package dnsproxy

import (
	"time"

	"github.com/miekg/dns"

	"github.com/loupe-dev/loupe/api/flow"
	"github.com/loupe-dev/loupe/datapath/proxy"
)

// requestFlow is a query as decided: FORWARDED, or DROPPED when denied.
func requestFlow(m *proxy.Conn, t time.Time, verdict flow.Verdict, q *dns.Question, v proxy.Verdict) *flow.Flow {
	f := m.NewFlow(t, verdict, &flow.Layer7{
		Type:   flow.L7FlowType_REQUEST,
		Record: &flow.Layer7_Dns{Dns: &flow.DNS{Query: q.Name, Qtypes: []string{typeName(q.Qtype)}}},
	})
	f.PolicyNames = v.Policies
	return f
}

// responseFlow is the answer the client got: the server's (FORWARDED),
// or the proxy's SERVFAIL when the server or the name cache failed
// (ERROR). Latency runs from the query's arrival.
func responseFlow(m *proxy.Conn, start time.Time, verdict flow.Verdict, req, resp *dns.Msg, a answer, v proxy.Verdict) *flow.Flow {
	d := &flow.DNS{
		Query:   req.Question[0].Name,
		Rcode:   uint32(resp.Rcode),
		Qtypes:  []string{typeName(req.Question[0].Qtype)},
		Cnames:  a.cnames,
		Rrtypes: a.rrtypes,
		Ttl:     uint32(a.ttl / time.Second),
	}
	for _, ip := range a.ips {
		d.Ips = append(d.Ips, ip.String())
	}
	now := time.Now()
	f := m.NewFlow(now, verdict, &flow.Layer7{
		Type:      flow.L7FlowType_RESPONSE,
		LatencyNs: uint64(max(now.Sub(start), 1)),
		Record:    &flow.Layer7_Dns{Dns: d},
	})
	f.PolicyNames = v.Policies
	return f
}

// errorFlow reports input that is not a query the proxy serves, with the
// rcode it was answered (rcode < 0: not answered). req is what could be
// read of it, or nil.
func errorFlow(m *proxy.Conn, t time.Time, req *dns.Msg, rcode int) *flow.Flow {
	d := &flow.DNS{}
	if rcode >= 0 {
		d.Rcode = uint32(rcode)
	}
	if req != nil && len(req.Question) > 0 {
		d.Query = req.Question[0].Name
		d.Qtypes = []string{typeName(req.Question[0].Qtype)}
	}
	return m.NewFlow(t, flow.Verdict_ERROR, &flow.Layer7{
		Type:   flow.L7FlowType_REQUEST,
		Record: &flow.Layer7_Dns{Dns: d},
	})
}

func typeName(t uint16) string {
	if s, ok := dns.TypeToString[t]; ok {
		return s
	}
	return dns.Type(t).String()
}
