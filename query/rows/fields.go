package rows

import (
	"net/netip"

	"github.com/loupe-dev/loupe/api/flow"
	"github.com/loupe-dev/loupe/query/schema"
)

// fields maps every stored column but the time columns, in the schema's
// order. Scanning sets them in this order, so a column that creates a
// sub-message (protocol, ip_version, l7_type, l7_protocol) comes before the
// ones that fill it.
// fields is built before any other package variable that uses it.
var fields = buildFields()

var l3l4Fields = []field{
	codec[uint64]{"id", func(f *flow.Flow) uint64 { return f.Id }, func(f *flow.Flow, v uint64) { f.Id = v }},
	codec[string]{"node_name", func(f *flow.Flow) string { return f.NodeName }, func(f *flow.Flow, v string) { f.NodeName = v }},
	field8("verdict", (*flow.Flow).GetVerdict, func(f *flow.Flow, v flow.Verdict) { f.Verdict = v }),
	field16("drop_reason", (*flow.Flow).GetDropReason, func(f *flow.Flow, v flow.DropReason) { f.DropReason = v }),
	field8("event_type", (*flow.Flow).GetEventType, func(f *flow.Flow, v flow.EventType) { f.EventType = v }),
	field8("observation_point", (*flow.Flow).GetObservationPoint, func(f *flow.Flow, v flow.ObservationPoint) { f.ObservationPoint = v }),
	field8("trace_reason", (*flow.Flow).GetTraceReason, func(f *flow.Flow, v flow.TraceReason) { f.TraceReason = v }),
	field8("traffic_direction", (*flow.Flow).GetTrafficDirection, func(f *flow.Flow, v flow.TrafficDirection) { f.TrafficDirection = v }),
	codec[uint8]{"is_reply", func(f *flow.Flow) uint8 { return b2u(f.IsReply) }, func(f *flow.Flow, v uint8) { f.IsReply = v != 0 }},
	field8("policy_match_type", (*flow.Flow).GetPolicyMatchType, func(f *flow.Flow, v flow.PolicyMatchType) { f.PolicyMatchType = v }),
	stringList("policy_names", (*flow.Flow).GetPolicyNames, func(f *flow.Flow, v []string) { f.PolicyNames = v }),

	field8("ip_version", func(f *flow.Flow) flow.IPVersion { return f.GetIp().GetIpVersion() }, func(f *flow.Flow, v flow.IPVersion) {
		if v != flow.IPVersion_IP_NOT_USED {
			f.Ip = &flow.IP{IpVersion: v}
		}
	}),
	ipField("src_ip", (*flow.IP).GetSource, func(ip *flow.IP, s string) { ip.Source = s }),
	ipField("dst_ip", (*flow.IP).GetDestination, func(ip *flow.IP, s string) { ip.Destination = s }),
	codec[int16]{"protocol", protocol, setProtocol},
	codec[uint16]{"src_port", func(f *flow.Flow) uint16 { s, _ := ports(f); return uint16(s) }, func(f *flow.Flow, v uint16) { setPorts(f, uint32(v), true) }},
	codec[uint16]{"dst_port", func(f *flow.Flow) uint16 { _, d := ports(f); return uint16(d) }, func(f *flow.Flow, v uint16) { setPorts(f, uint32(v), false) }},
	codec[uint8]{"tcp_flags", tcpFlags, setTCPFlags},
	codec[uint8]{"icmp_type", func(f *flow.Flow) uint8 { t, _ := icmp(f); return uint8(t) }, func(f *flow.Flow, v uint8) { setICMP(f, uint32(v), true) }},
	codec[uint8]{"icmp_code", func(f *flow.Flow) uint8 { _, c := icmp(f); return uint8(c) }, func(f *flow.Flow, v uint8) { setICMP(f, uint32(v), false) }},
}

// endpointFields map one side's endpoint; prefix is "src" or "dst".
func endpointFields(prefix string, get func(*flow.Flow) *flow.Endpoint, ensure func(*flow.Flow) *flow.Endpoint,
	names func(*flow.Flow) []string, setNames func(*flow.Flow, []string)) []field {
	return []field{
		codec[uint32]{prefix + "_endpoint", func(f *flow.Flow) uint32 { return get(f).GetId() }, func(f *flow.Flow, v uint32) { ensure(f).Id = v }},
		codec[uint32]{prefix + "_identity", func(f *flow.Flow) uint32 { return get(f).GetIdentity() }, func(f *flow.Flow, v uint32) { ensure(f).Identity = v }},
		codec[string]{prefix + "_namespace", func(f *flow.Flow) string { return get(f).GetNamespace() }, func(f *flow.Flow, v string) { ensure(f).Namespace = v }},
		codec[string]{prefix + "_workload", func(f *flow.Flow) string { return get(f).GetWorkload() }, func(f *flow.Flow, v string) { ensure(f).Workload = v }},
		stringList(prefix+"_labels", func(f *flow.Flow) []string { return get(f).GetLabels() }, func(f *flow.Flow, v []string) { ensure(f).Labels = v }),
		stringList(prefix+"_names", names, setNames),
	}
}

func buildFields() []field {
	fields := append([]field(nil), l3l4Fields...)
	fields = append(fields, endpointFields("src", (*flow.Flow).GetSource,
		func(f *flow.Flow) *flow.Endpoint {
			if f.Source == nil {
				f.Source = &flow.Endpoint{}
			}
			return f.Source
		}, (*flow.Flow).GetSourceNames, func(f *flow.Flow, v []string) { f.SourceNames = v })...)
	fields = append(fields, endpointFields("dst", (*flow.Flow).GetDestination,
		func(f *flow.Flow) *flow.Endpoint {
			if f.Destination == nil {
				f.Destination = &flow.Endpoint{}
			}
			return f.Destination
		}, (*flow.Flow).GetDestinationNames, func(f *flow.Flow, v []string) { f.DestinationNames = v })...)
	fields = append(fields,
		codec[uint64]{"packets", func(f *flow.Flow) uint64 { return f.Packets }, func(f *flow.Flow, v uint64) { f.Packets = v }},
		codec[uint64]{"bytes", func(f *flow.Flow) uint64 { return f.Bytes }, func(f *flow.Flow, v uint64) { f.Bytes = v }},
		codec[uint32]{"interface_index", func(f *flow.Flow) uint32 { return f.InterfaceIndex }, func(f *flow.Flow, v uint32) { f.InterfaceIndex = v }},
		codec[string]{"interface_name", func(f *flow.Flow) string { return f.InterfaceName }, func(f *flow.Flow, v string) { f.InterfaceName = v }},
	)
	fields = append(fields, l7Fields...)
	fields = append(fields,
		codec[string]{"trace_id", func(f *flow.Flow) string { return f.GetTraceContext().GetTraceId() }, func(f *flow.Flow, v string) {
			if v != "" {
				traceContext(f).TraceId = v
			}
		}},
		codec[string]{"parent_span_id", func(f *flow.Flow) string { return f.GetTraceContext().GetParentSpanId() }, func(f *flow.Flow, v string) {
			if v != "" {
				traceContext(f).ParentSpanId = v
			}
		}},
		codec[string]{"span_id", func(f *flow.Flow) string { return f.GetTraceContext().GetSpanId() }, func(f *flow.Flow, v string) {
			if v != "" {
				traceContext(f).SpanId = v
			}
		}},
	)
	checkOrder(fields)
	return fields
}

// checkOrder keeps the mapping and the schema in step: every stored column
// but time is mapped, in the schema's order.
func checkOrder(fields []field) {
	var want []string
	for _, c := range schema.FlowColumns {
		if c.Name != "time" && c.Name != "time_ns" {
			want = append(want, c.Name)
		}
	}
	if len(want) != len(fields) {
		panic("rows: the flows schema and the field mapping differ in length")
	}
	for i, f := range fields {
		if f.name() != want[i] {
			panic("rows: field " + f.name() + " is where the schema has " + want[i])
		}
	}
}

func b2u(b bool) uint8 {
	if b {
		return 1
	}
	return 0
}

func stringList(col string, get func(*flow.Flow) []string, put func(*flow.Flow, []string)) field {
	return codec[[]string]{col: col,
		get: func(f *flow.Flow) []string {
			if v := get(f); v != nil {
				return v
			}
			return []string{}
		},
		put: func(f *flow.Flow, v []string) {
			if len(v) > 0 {
				put(f, append([]string(nil), v...))
			}
		}}
}

func traceContext(f *flow.Flow) *flow.TraceContext {
	if f.TraceContext == nil {
		f.TraceContext = &flow.TraceContext{}
	}
	return f.TraceContext
}

// ipField stores an address as 16 bytes, IPv4 mapped into IPv6.
func ipField(col string, get func(*flow.IP) string, put func(*flow.IP, string)) field {
	return codec[[]byte]{col: col,
		get: func(f *flow.Flow) []byte {
			a, err := netip.ParseAddr(get(f.GetIp()))
			if err != nil {
				return zero16[:]
			}
			b := a.As16()
			return b[:]
		},
		put: func(f *flow.Flow, v []byte) {
			if f.Ip == nil || len(v) != 16 {
				return
			}
			a := netip.AddrFrom16([16]byte(v))
			if f.Ip.IpVersion == flow.IPVersion_IPV4 {
				a = a.Unmap()
			}
			put(f.Ip, a.String())
		}}
}

var zero16 [16]byte
