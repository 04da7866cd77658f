package incident_test

import (
	"strings"
	"time"

	"github.com/loupe-dev/loupe/api/flow"
	"github.com/loupe-dev/loupe/query/incident"
)

// The oracle computes every query in Go from the flows that were inserted,
// as the rollups' definitions in query/schema say, without ClickHouse.

func service(e *flow.Endpoint) string {
	if e.GetWorkload() != "" {
		return e.GetWorkload()
	}
	return strings.Join(e.GetLabels(), ",")
}

// protoPort is the protocol as its enum name and number, and the
// destination port (0 without one).
func protoPort(f *flow.Flow) (string, int, uint16) {
	switch l4 := f.GetL4().GetProtocol().(type) {
	case *flow.Layer4_Tcp:
		return "TCP", 6, uint16(l4.Tcp.GetDestinationPort())
	case *flow.Layer4_Udp:
		return "UDP", 17, uint16(l4.Udp.GetDestinationPort())
	case *flow.Layer4_Sctp:
		return "SCTP", 132, uint16(l4.Sctp.GetDestinationPort())
	case *flow.Layer4_Icmpv4:
		return "ICMPv4", 1, 0
	case *flow.Layer4_Icmpv6:
		return "ICMPv6", 58, 0
	}
	return "NONE", 0, 0
}

var protoNumbers = map[string]int{"NONE": 0, "ICMPv4": 1, "TCP": 6, "UDP": 17, "ICMPv6": 58, "SCTP": 132}

func hasL7(f *flow.Flow) bool { return f.GetL7().GetRecord() != nil }

// oracle selects the flows of a window and scope.
type oracle struct {
	flows               []*flow.Flow
	window              incident.Window
	namespace, workload string
}

// roundWindow widens [since, until) to whole minutes, as the package
// documents.
func roundWindow(since, until time.Time) incident.Window {
	w := incident.Window{Since: since.UTC().Truncate(time.Minute), Until: until.UTC().Truncate(time.Minute)}
	if w.Until.Before(until) {
		w.Until = w.Until.Add(time.Minute)
	}
	return w
}

func (o oracle) each(fn func(*flow.Flow)) {
	for _, f := range o.flows {
		m := f.GetTime().AsTime().Truncate(time.Minute)
		if m.Before(o.window.Since) || !m.Before(o.window.Until) || !o.inScope(f) {
			continue
		}
		fn(f)
	}
}

func (o oracle) inScope(f *flow.Flow) bool {
	side := func(e *flow.Endpoint) bool {
		return (o.namespace == "" || e.GetNamespace() == o.namespace) && (o.workload == "" || service(e) == o.workload)
	}
	return side(f.GetSource()) || side(f.GetDestination())
}

func (o oracle) edges() map[incident.Edge]incident.Edge {
	out := map[incident.Edge]incident.Edge{}
	o.each(func(f *flow.Flow) {
		if f.GetIsReply() || hasL7(f) {
			return
		}
		proto, _, port := protoPort(f)
		k := incident.Edge{SrcNamespace: f.GetSource().GetNamespace(), SrcService: service(f.GetSource()),
			DstNamespace: f.GetDestination().GetNamespace(), DstService: service(f.GetDestination()), Protocol: proto, Port: port}
		e := out[k]
		if e == (incident.Edge{}) {
			e = k
		}
		e.Flows++
		e.Bytes += f.GetBytes()
		e.Packets += f.GetPackets()
		switch f.GetVerdict() {
		case flow.Verdict_FORWARDED:
			e.Forwarded++
		case flow.Verdict_DROPPED:
			e.Dropped++
		case flow.Verdict_AUDIT:
			e.Audit++
		case flow.Verdict_REDIRECTED:
			e.Redirected++
		case flow.Verdict_ERROR:
			e.Error++
		}
		out[k] = e
	})
	return out
}

func (o oracle) talkers(by string) map[incident.Talker]incident.Talker {
	out := map[incident.Talker]incident.Talker{}
	for _, e := range o.edges() {
		var k incident.Talker
		switch by {
		case "workload":
			k = incident.Talker{SrcNamespace: e.SrcNamespace, SrcService: e.SrcService}
		case "namespace":
			k = incident.Talker{SrcNamespace: e.SrcNamespace}
		case "pair":
			k = incident.Talker{SrcNamespace: e.SrcNamespace, SrcService: e.SrcService, DstNamespace: e.DstNamespace, DstService: e.DstService}
		case "port":
			k = incident.Talker{Protocol: e.Protocol, Port: e.Port}
		}
		t, ok := out[k]
		if !ok {
			t = k
		}
		t.Flows += e.Flows
		t.Bytes += e.Bytes
		t.Packets += e.Packets
		t.Dropped += e.Dropped
		out[k] = t
	}
	return out
}

func (o oracle) drops(by string) (map[incident.DropRow]uint64, uint64) {
	out := map[incident.DropRow]uint64{}
	var total uint64
	o.each(func(f *flow.Flow) {
		if f.GetVerdict() != flow.Verdict_DROPPED {
			return
		}
		enforcing := f.GetDestination()
		if f.GetTrafficDirection() == flow.TrafficDirection_EGRESS {
			enforcing = f.GetSource()
		}
		var k incident.DropRow
		switch by {
		case "reason":
			k.Reason = f.GetDropReason().String()
		case "workload":
			k.Namespace, k.Service = enforcing.GetNamespace(), service(enforcing)
		case "node":
			k.Node = f.GetNodeName()
		case "namespace":
			k.Namespace = enforcing.GetNamespace()
		case "port":
			proto, _, port := protoPort(f)
			k.Protocol, k.Port = proto, port
		}
		out[k]++
		total++
	})
	return out, total
}

func (o oracle) dnsErrors() map[incident.DNSError]incident.DNSError {
	responses := map[string]uint64{}
	errs := map[incident.DNSError]uint64{}
	o.each(func(f *flow.Flow) {
		d := f.GetL7().GetDns()
		if d == nil || f.GetL7().GetType() != flow.L7FlowType_RESPONSE {
			return
		}
		responses[d.GetQuery()]++
		if d.GetRcode() != 0 {
			errs[incident.DNSError{Query: d.GetQuery(), Rcode: uint16(d.GetRcode())}]++
		}
	})
	out := map[incident.DNSError]incident.DNSError{}
	for k, n := range errs {
		out[k] = incident.DNSError{Query: k.Query, Rcode: k.Rcode, RcodeName: incident.RcodeName(k.Rcode), Count: n, Responses: responses[k.Query]}
	}
	return out
}

// httpKey is an HTTPRow's key fields.
type httpKey struct {
	namespace, service, method string
	code                       uint16
}

// httpGroup is an HTTPRow's counts and the latencies it summarizes.
type httpGroup struct {
	row       incident.HTTPRow
	latencies []float64 // ms
}

func (o oracle) http(by string) map[httpKey]*httpGroup {
	out := map[httpKey]*httpGroup{}
	o.each(func(f *flow.Flow) {
		h := f.GetL7().GetHttp()
		if h == nil {
			return
		}
		response := f.GetL7().GetType() == flow.L7FlowType_RESPONSE
		var k httpKey
		switch by {
		case "service":
			server := f.GetDestination()
			if response {
				server = f.GetSource()
			}
			k.namespace, k.service = server.GetNamespace(), service(server)
		case "method":
			k.method = h.GetMethod()
		case "code":
			if !response {
				return
			}
			k.code = uint16(h.GetCode())
		}
		g := out[k]
		if g == nil {
			g = &httpGroup{row: incident.HTTPRow{Namespace: k.namespace, Service: k.service, Method: k.method, Code: k.code}}
			out[k] = g
		}
		switch f.GetL7().GetType() {
		case flow.L7FlowType_REQUEST:
			g.row.Requests++
		case flow.L7FlowType_RESPONSE:
			g.row.Responses++
			g.latencies = append(g.latencies, float64(f.GetL7().GetLatencyNs())/1e6)
			switch c := h.GetCode(); {
			case c >= 400 && c < 500:
				g.row.Status4xx++
			case c >= 500 && c < 600:
				g.row.Status5xx++
			}
		}
	})
	return out
}
