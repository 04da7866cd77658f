package filters

import (
	"github.com/loupe-dev/loupe/api/flow"
)

// Endpoints of the demo shop, as the collector enriches them.
var (
	frontend = &flow.Endpoint{Id: 11, Identity: 1001, Namespace: "shop", Workload: "frontend",
		Labels: []string{"app=frontend", "loupe.namespace=shop", "tier=web"}}
	catalog = &flow.Endpoint{Id: 12, Identity: 1002, Namespace: "shop", Workload: "catalog",
		Labels: []string{"app=catalog", "loupe.namespace=shop", "tier=api"}}
	db = &flow.Endpoint{Id: 13, Identity: 1003, Namespace: "shop", Workload: "db",
		Labels: []string{"app=db", "loupe.namespace=shop"}}
	coredns = &flow.Endpoint{Id: 14, Identity: 1004, Namespace: "kube-system", Workload: "coredns",
		Labels: []string{"app=coredns", "loupe.namespace=kube-system"}}
	world = &flow.Endpoint{Identity: 2}
	host  = &flow.Endpoint{Identity: 1}
)

func tcp(sport, dport uint32, flags *flow.TCPFlags) *flow.Layer4 {
	return &flow.Layer4{Protocol: &flow.Layer4_Tcp{Tcp: &flow.TCP{SourcePort: sport, DestinationPort: dport, Flags: flags}}}
}

func udp(sport, dport uint32) *flow.Layer4 {
	return &flow.Layer4{Protocol: &flow.Layer4_Udp{Udp: &flow.UDP{SourcePort: sport, DestinationPort: dport}}}
}

func ip4(src, dst string) *flow.IP {
	return &flow.IP{Source: src, Destination: dst, IpVersion: flow.IPVersion_IPV4}
}
func ip6(src, dst string) *flow.IP {
	return &flow.IP{Source: src, Destination: dst, IpVersion: flow.IPVersion_IPV6}
}

// testFlows covers every field a filter looks at; each test names the flows
// it expects to pass.
var testFlows = map[string]*flow.Flow{
	"syn": {
		NodeName: "node-1", Verdict: flow.Verdict_FORWARDED,
		Ip: ip4("10.0.1.10", "10.0.1.20"), L4: tcp(41234, 8080, &flow.TCPFlags{SYN: true}),
		Source: frontend, Destination: catalog,
		DestinationNames: []string{"catalog.shop.svc.loupe."},
		EventType:        flow.EventType_TRACE, ObservationPoint: flow.ObservationPoint_TO_ENDPOINT,
		TrafficDirection: flow.TrafficDirection_INGRESS,
	},
	"synack": {
		NodeName: "node-1", Verdict: flow.Verdict_FORWARDED,
		Ip: ip4("10.0.1.20", "10.0.1.10"), L4: tcp(8080, 41234, &flow.TCPFlags{SYN: true, ACK: true}),
		Source: catalog, Destination: frontend,
		SourceNames: []string{"catalog.shop.svc.loupe."},
		EventType:   flow.EventType_TRACE, ObservationPoint: flow.ObservationPoint_FROM_ENDPOINT,
		TrafficDirection: flow.TrafficDirection_INGRESS, IsReply: true,
	},
	"drop": {
		NodeName: "node-2", Verdict: flow.Verdict_DROPPED, DropReason: flow.DropReason_POLICY_DENIED,
		Ip: ip4("10.0.1.10", "10.0.1.30"), L4: tcp(41300, 5432, &flow.TCPFlags{SYN: true}),
		Source: frontend, Destination: db,
		EventType: flow.EventType_DROP, TrafficDirection: flow.TrafficDirection_INGRESS,
	},
	"dns": {
		NodeName: "node-1", Verdict: flow.Verdict_FORWARDED,
		Ip: ip6("fd00::10", "fd00::35"), L4: udp(53000, 53),
		Source: frontend, Destination: coredns,
		EventType: flow.EventType_L7, TrafficDirection: flow.TrafficDirection_EGRESS,
		L7: &flow.Layer7{Type: flow.L7FlowType_REQUEST, Record: &flow.Layer7_Dns{Dns: &flow.DNS{
			Query: "catalog.shop.svc.loupe.", Qtypes: []string{"A"},
		}}},
	},
	"http": {
		NodeName: "node-1", Verdict: flow.Verdict_FORWARDED,
		Ip: ip4("10.0.1.10", "10.0.1.20"), L4: tcp(41234, 8080, nil),
		Source: frontend, Destination: catalog,
		EventType: flow.EventType_L7, TrafficDirection: flow.TrafficDirection_EGRESS,
		L7: &flow.Layer7{Type: flow.L7FlowType_RESPONSE, LatencyNs: 5e6, Record: &flow.Layer7_Http{Http: &flow.HTTP{
			Code: 503, Method: "GET", Url: "http://catalog.shop:8080/api/items?id=3", Protocol: "HTTP/1.1",
			Headers: []*flow.HTTPHeader{{Key: "Content-Type", Value: "application/json"}},
		}}},
		TraceContext: &flow.TraceContext{TraceId: "4bf92f3577b34da6a3ce929d0e0e4736"},
	},
	"icmp6": {
		NodeName: "node-1", Verdict: flow.Verdict_FORWARDED,
		Ip: ip6("fd00::10", "2001:db8::1"), L4: &flow.Layer4{Protocol: &flow.Layer4_Icmpv6{Icmpv6: &flow.ICMPv6{Type: 128}}},
		Source: frontend, Destination: world,
		DestinationNames: []string{"API.Example.com."},
		EventType:        flow.EventType_TRACE, ObservationPoint: flow.ObservationPoint_TO_NETWORK,
		TrafficDirection: flow.TrafficDirection_EGRESS,
	},
	"icmp4": {
		NodeName: "node-2", Verdict: flow.Verdict_FORWARDED,
		Ip: ip4("203.0.113.5", "10.0.1.10"), L4: &flow.Layer4{Protocol: &flow.Layer4_Icmpv4{Icmpv4: &flow.ICMPv4{Type: 0}}},
		Source: world, Destination: frontend,
		SourceNames: []string{"www.a.example.com"},
		EventType:   flow.EventType_TRACE, ObservationPoint: flow.ObservationPoint_FROM_NETWORK,
		TrafficDirection: flow.TrafficDirection_EGRESS, IsReply: true,
	},
	"sctp": {
		NodeName: "node-2", Verdict: flow.Verdict_REDIRECTED,
		Ip: ip4("10.0.1.10", "10.0.1.30"), L4: &flow.Layer4{Protocol: &flow.Layer4_Sctp{Sctp: &flow.SCTP{SourcePort: 3868, DestinationPort: 3868}}},
		Source: frontend, Destination: db,
		EventType: flow.EventType_TRACE, ObservationPoint: flow.ObservationPoint_TO_PROXY,
	},
	"kafka": {
		NodeName: "NODE-3.lab", Verdict: flow.Verdict_FORWARDED,
		Ip: ip4("10.0.1.20", "10.0.1.40"), L4: tcp(40000, 9092, &flow.TCPFlags{PSH: true, ACK: true}),
		Source:    catalog,
		EventType: flow.EventType_L7, TrafficDirection: flow.TrafficDirection_EGRESS,
		L7: &flow.Layer7{Type: flow.L7FlowType_REQUEST, Record: &flow.Layer7_Kafka{Kafka: &flow.Kafka{ApiKey: "produce", Topic: "orders"}}},
	},
	"host": {
		NodeName: "node-2", Verdict: flow.Verdict_AUDIT,
		Ip: ip6("::ffff:192.168.1.1", "fe80::1%eth0"), L4: tcp(22, 50000, &flow.TCPFlags{FIN: true, ACK: true}),
		Source: host, Destination: frontend,
		EventType: flow.EventType_POLICY_VERDICT, TrafficDirection: flow.TrafficDirection_INGRESS,
	},
	"empty": {},
}
