package printer

import (
	"net"
	"strconv"
	"strings"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/loupe-dev/loupe/api/flow"
	"github.com/loupe-dev/loupe/api/observer"
	"github.com/loupe-dev/loupe/collector/filters"
)

// described is a flow rendered into the cells every human format shows.
type described struct {
	time, node         string
	source, dest       string
	typ, verdict       string
	dropReason         string // empty unless the flow was dropped for a known reason
	policies           string // "BY a,b" when asked for and known
	direction, summary string
	reply              bool
}

func (p *Printer) describe(r *observer.GetFlowsResponse, f *flow.Flow) described {
	sport, dport := ports(f)
	d := described{
		time:      p.timestamp(f.GetTime()),
		node:      f.GetNodeName(),
		source:    endpoint(f.GetSource(), f.GetIp().GetSource(), sport),
		dest:      endpoint(f.GetDestination(), f.GetIp().GetDestination(), dport),
		typ:       flowType(f),
		verdict:   f.GetVerdict().String(),
		direction: direction(f.GetTrafficDirection()),
		summary:   summary(f),
		reply:     f.GetIsReply(),
	}
	if d.node == "" {
		d.node = r.GetNodeName()
	}
	if f.GetVerdict() == flow.Verdict_DROPPED && f.GetDropReason() != flow.DropReason_DROP_REASON_UNKNOWN {
		d.dropReason = f.GetDropReason().String()
	}
	if p.opts.PrintPolicyNames && len(f.GetPolicyNames()) > 0 {
		d.policies = "BY " + strings.Join(f.GetPolicyNames(), ",")
	}
	return d
}

// verdictCell is the verdict with the drop reason and policies after it:
// "DROPPED POLICY_DENIED BY deny-db".
func (d described) verdictCell() string {
	s := d.verdict
	for _, extra := range []string{d.dropReason, d.policies} {
		if extra != "" {
			s += " " + extra
		}
	}
	return s
}

// timestamp renders like hubble: "Jan  2 15:04:05.000".
func (p *Printer) timestamp(ts *timestamppb.Timestamp) string {
	if ts == nil {
		return "N/A"
	}
	return ts.AsTime().In(p.opts.Location).Format(time.StampMilli)
}

func ports(f *flow.Flow) (src, dst uint32) {
	switch l4 := f.GetL4().GetProtocol().(type) {
	case *flow.Layer4_Tcp:
		return l4.Tcp.GetSourcePort(), l4.Tcp.GetDestinationPort()
	case *flow.Layer4_Udp:
		return l4.Udp.GetSourcePort(), l4.Udp.GetDestinationPort()
	case *flow.Layer4_Sctp:
		return l4.Sctp.GetSourcePort(), l4.Sctp.GetDestinationPort()
	}
	return 0, 0
}

// Reserved identities have names instead of numbers.
var reservedIdentities = map[uint32]string{1: "host", 2: "world"}

// endpoint renders one side: "shop/frontend:41234 (ID:1001)" for a workload,
// "203.0.113.5:443 (world)" or "[2001:db8::1]:443 (world)" for an address.
func endpoint(ep *flow.Endpoint, ip string, port uint32) string {
	host := ip
	if w := ep.GetWorkload(); w != "" {
		host = w
		if ns := ep.GetNamespace(); ns != "" {
			host = ns + "/" + w
		}
	}
	if host == "" {
		host = "N/A"
	}
	if port != 0 {
		host = net.JoinHostPort(host, strconv.FormatUint(uint64(port), 10))
	}
	id := ep.GetIdentity()
	if name, ok := reservedIdentities[id]; ok {
		return host + " (" + name + ")"
	}
	if id == 0 {
		return host
	}
	return host + " (ID:" + strconv.FormatUint(uint64(id), 10) + ")"
}

// flowType is the TYPE column: the observation point of a trace
// ("to-endpoint"), "drop", "policy-verdict", or the L7 record and its kind
// ("http-request").
func flowType(f *flow.Flow) string {
	if l7 := f.GetL7(); l7 != nil {
		proto := "l7"
		switch l7.GetRecord().(type) {
		case *flow.Layer7_Http:
			proto = "http"
		case *flow.Layer7_Dns:
			proto = "dns"
		case *flow.Layer7_Kafka:
			proto = "kafka"
		}
		if kind := l7Kind(l7.GetType()); kind != "" {
			return proto + "-" + kind
		}
		return proto
	}
	switch f.GetEventType() {
	case flow.EventType_TRACE:
		if p := f.GetObservationPoint(); p != flow.ObservationPoint_OBSERVATION_POINT_UNKNOWN {
			return filters.ObservationPointName(p)
		}
		return "trace"
	case flow.EventType_DROP:
		return "drop"
	case flow.EventType_POLICY_VERDICT:
		return "policy-verdict"
	case flow.EventType_L7:
		return "l7"
	}
	return "unknown"
}

// l7Kind is "request", "response", "sample", or empty when unknown.
func l7Kind(t flow.L7FlowType) string {
	if t == flow.L7FlowType_L7_TYPE_UNKNOWN {
		return ""
	}
	return strings.ToLower(t.String())
}

func direction(d flow.TrafficDirection) string {
	if d == flow.TrafficDirection_TRAFFIC_DIRECTION_UNKNOWN {
		return ""
	}
	return strings.ToLower(d.String())
}

// lostSummary renders a lost-event record: "KERNEL_RING_BUFFER CPU(1) 42".
func lostSummary(l *flow.LostEvent) string {
	s := l.GetSource().String()
	if l.GetCpu() >= 0 {
		s += " CPU(" + strconv.Itoa(int(l.GetCpu())) + ")"
	}
	return s + " " + strconv.FormatUint(l.GetNumEventsLost(), 10)
}
