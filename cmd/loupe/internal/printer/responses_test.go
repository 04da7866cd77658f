package printer

import (
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/loupe-dev/loupe/api/flow"
	"github.com/loupe-dev/loupe/api/observer"
)

var (
	frontend = &flow.Endpoint{Id: 11, Identity: 1001, Namespace: "shop", Workload: "frontend",
		Labels: []string{"app=frontend", "loupe.namespace=shop"}}
	catalog = &flow.Endpoint{Id: 12, Identity: 1002, Namespace: "shop", Workload: "catalog",
		Labels: []string{"app=catalog", "loupe.namespace=shop"}}
	db      = &flow.Endpoint{Id: 13, Identity: 1003, Namespace: "shop", Workload: "db"}
	coredns = &flow.Endpoint{Id: 14, Identity: 1004, Namespace: "kube-system", Workload: "coredns"}
	world   = &flow.Endpoint{Identity: 2}
	host    = &flow.Endpoint{Identity: 1}
)

// at is a fixed time plus ms milliseconds, printed in UTC by the tests.
func at(ms int) *timestamppb.Timestamp {
	return timestamppb.New(time.Date(2026, time.March, 7, 9, 4, 5, 0, time.UTC).Add(time.Duration(ms) * time.Millisecond))
}

func flowResponse(f *flow.Flow) *observer.GetFlowsResponse {
	return &observer.GetFlowsResponse{
		ResponseTypes: &observer.GetFlowsResponse_Flow{Flow: f},
		NodeName:      f.GetNodeName(),
		Time:          f.GetTime(),
	}
}

func tcp(sport, dport uint32, flags *flow.TCPFlags) *flow.Layer4 {
	return &flow.Layer4{Protocol: &flow.Layer4_Tcp{Tcp: &flow.TCP{SourcePort: sport, DestinationPort: dport, Flags: flags}}}
}

// testResponses is the fixed stream every golden file renders: a connection
// and its reply, a drop, IPv6, ICMP both versions, L7 HTTP and DNS, a
// policy verdict and a lost-event record.
var testResponses = []*observer.GetFlowsResponse{
	flowResponse(&flow.Flow{
		Time: at(0), NodeName: "node-1", Verdict: flow.Verdict_FORWARDED,
		Ip: &flow.IP{Source: "10.0.1.10", Destination: "10.0.1.20"}, L4: tcp(41234, 8080, &flow.TCPFlags{SYN: true}),
		Source: frontend, Destination: catalog, EventType: flow.EventType_TRACE,
		ObservationPoint: flow.ObservationPoint_TO_ENDPOINT, TrafficDirection: flow.TrafficDirection_INGRESS,
		Packets: 1, Bytes: 74,
	}),
	flowResponse(&flow.Flow{
		Time: at(1), NodeName: "node-1", Verdict: flow.Verdict_FORWARDED,
		Ip: &flow.IP{Source: "10.0.1.20", Destination: "10.0.1.10"}, L4: tcp(8080, 41234, &flow.TCPFlags{SYN: true, ACK: true}),
		Source: catalog, Destination: frontend, EventType: flow.EventType_TRACE,
		ObservationPoint: flow.ObservationPoint_FROM_ENDPOINT, TrafficDirection: flow.TrafficDirection_INGRESS, IsReply: true,
	}),
	flowResponse(&flow.Flow{
		Time: at(12), NodeName: "node-2", Verdict: flow.Verdict_DROPPED, DropReason: flow.DropReason_POLICY_DENIED,
		Ip: &flow.IP{Source: "10.0.1.10", Destination: "10.0.1.30"}, L4: tcp(41300, 5432, &flow.TCPFlags{SYN: true}),
		Source: frontend, Destination: db, EventType: flow.EventType_DROP, TrafficDirection: flow.TrafficDirection_INGRESS,
		PolicyNames: []string{"shop/deny-db"},
	}),
	flowResponse(&flow.Flow{
		Time: at(20), NodeName: "node-1", Verdict: flow.Verdict_FORWARDED,
		Ip: &flow.IP{Source: "fd00::10", Destination: "2001:db8::1", IpVersion: flow.IPVersion_IPV6},
		L4: tcp(40000, 443, &flow.TCPFlags{PSH: true, ACK: true}), Source: frontend, Destination: world,
		DestinationNames: []string{"api.example.com"}, EventType: flow.EventType_TRACE,
		ObservationPoint: flow.ObservationPoint_TO_NETWORK, TrafficDirection: flow.TrafficDirection_EGRESS,
		Packets: 12, Bytes: 3456,
	}),
	flowResponse(&flow.Flow{
		Time: at(30), NodeName: "node-1", Verdict: flow.Verdict_FORWARDED,
		Ip:     &flow.IP{Source: "fd00::10", Destination: "2001:db8::1", IpVersion: flow.IPVersion_IPV6},
		L4:     &flow.Layer4{Protocol: &flow.Layer4_Icmpv6{Icmpv6: &flow.ICMPv6{Type: 128}}},
		Source: frontend, Destination: world, EventType: flow.EventType_TRACE,
		ObservationPoint: flow.ObservationPoint_TO_NETWORK, TrafficDirection: flow.TrafficDirection_EGRESS,
	}),
	flowResponse(&flow.Flow{
		Time: at(31), NodeName: "node-1", Verdict: flow.Verdict_FORWARDED,
		Ip:     &flow.IP{Source: "2001:db8::1", Destination: "fd00::10", IpVersion: flow.IPVersion_IPV6},
		L4:     &flow.Layer4{Protocol: &flow.Layer4_Icmpv6{Icmpv6: &flow.ICMPv6{Type: 129}}},
		Source: world, Destination: frontend, EventType: flow.EventType_TRACE,
		ObservationPoint: flow.ObservationPoint_FROM_NETWORK, TrafficDirection: flow.TrafficDirection_EGRESS, IsReply: true,
	}),
	flowResponse(&flow.Flow{
		Time: at(40), NodeName: "node-1", Verdict: flow.Verdict_FORWARDED,
		Ip:     &flow.IP{Source: "10.0.1.10", Destination: "10.0.0.1"},
		L4:     &flow.Layer4{Protocol: &flow.Layer4_Icmpv4{Icmpv4: &flow.ICMPv4{Type: 8}}},
		Source: frontend, Destination: host, EventType: flow.EventType_TRACE,
		ObservationPoint: flow.ObservationPoint_TO_HOST, TrafficDirection: flow.TrafficDirection_EGRESS,
	}),
	flowResponse(&flow.Flow{
		Time: at(41), NodeName: "node-1", Verdict: flow.Verdict_FORWARDED,
		Ip:     &flow.IP{Source: "10.0.0.1", Destination: "10.0.1.10"},
		L4:     &flow.Layer4{Protocol: &flow.Layer4_Icmpv4{Icmpv4: &flow.ICMPv4{Type: 3, Code: 3}}},
		Source: host, Destination: frontend, EventType: flow.EventType_TRACE,
		ObservationPoint: flow.ObservationPoint_FROM_HOST,
	}),
	flowResponse(&flow.Flow{
		Time: at(50), NodeName: "node-1", Verdict: flow.Verdict_FORWARDED,
		Ip:     &flow.IP{Source: "fd00::10", Destination: "fd00::35", IpVersion: flow.IPVersion_IPV6},
		L4:     &flow.Layer4{Protocol: &flow.Layer4_Udp{Udp: &flow.UDP{SourcePort: 53000, DestinationPort: 53}}},
		Source: frontend, Destination: coredns, EventType: flow.EventType_L7, TrafficDirection: flow.TrafficDirection_EGRESS,
		L7: &flow.Layer7{Type: flow.L7FlowType_REQUEST, Record: &flow.Layer7_Dns{Dns: &flow.DNS{
			Query: "catalog.shop.svc.loupe.", Qtypes: []string{"A"},
		}}},
	}),
	flowResponse(&flow.Flow{
		Time: at(52), NodeName: "node-1", Verdict: flow.Verdict_FORWARDED,
		Ip:     &flow.IP{Source: "fd00::35", Destination: "fd00::10", IpVersion: flow.IPVersion_IPV6},
		L4:     &flow.Layer4{Protocol: &flow.Layer4_Udp{Udp: &flow.UDP{SourcePort: 53, DestinationPort: 53000}}},
		Source: coredns, Destination: frontend, EventType: flow.EventType_L7, TrafficDirection: flow.TrafficDirection_EGRESS,
		IsReply: true,
		L7: &flow.Layer7{Type: flow.L7FlowType_RESPONSE, LatencyNs: 2e6, Record: &flow.Layer7_Dns{Dns: &flow.DNS{
			Query: "catalog.shop.svc.loupe.", Qtypes: []string{"A"}, Ips: []string{"10.0.1.20"}, Ttl: 30,
		}}},
	}),
	flowResponse(&flow.Flow{
		Time: at(60), NodeName: "node-1", Verdict: flow.Verdict_FORWARDED,
		Ip: &flow.IP{Source: "10.0.1.10", Destination: "10.0.1.20"}, L4: tcp(41234, 8080, nil),
		Source: frontend, Destination: catalog, EventType: flow.EventType_L7, TrafficDirection: flow.TrafficDirection_EGRESS,
		L7: &flow.Layer7{Type: flow.L7FlowType_REQUEST, Record: &flow.Layer7_Http{Http: &flow.HTTP{
			Method: "GET", Url: "http://catalog.shop:8080/api/items", Protocol: "HTTP/1.1",
		}}},
		TraceContext: &flow.TraceContext{TraceId: "4bf92f3577b34da6a3ce929d0e0e4736"},
	}),
	flowResponse(&flow.Flow{
		Time: at(65), NodeName: "node-1", Verdict: flow.Verdict_FORWARDED,
		Ip: &flow.IP{Source: "10.0.1.20", Destination: "10.0.1.10"}, L4: tcp(8080, 41234, nil),
		Source: catalog, Destination: frontend, EventType: flow.EventType_L7, TrafficDirection: flow.TrafficDirection_EGRESS,
		IsReply: true,
		L7: &flow.Layer7{Type: flow.L7FlowType_RESPONSE, LatencyNs: 5e6, Record: &flow.Layer7_Http{Http: &flow.HTTP{
			Code: 200, Method: "GET", Url: "http://catalog.shop:8080/api/items", Protocol: "HTTP/1.1",
		}}},
		TraceContext: &flow.TraceContext{TraceId: "4bf92f3577b34da6a3ce929d0e0e4736"},
	}),
	flowResponse(&flow.Flow{
		Time: at(70), NodeName: "node-2", Verdict: flow.Verdict_AUDIT,
		Ip: &flow.IP{Source: "10.0.1.20", Destination: "10.0.1.30"}, L4: tcp(42000, 5432, &flow.TCPFlags{SYN: true}),
		Source: catalog, Destination: db, EventType: flow.EventType_POLICY_VERDICT,
		TrafficDirection: flow.TrafficDirection_INGRESS, PolicyMatchType: flow.PolicyMatchType_POLICY_MATCH_L3_L4,
		PolicyNames: []string{"shop/allow-catalog", "shop/audit-db"},
	}),
	{
		ResponseTypes: &observer.GetFlowsResponse_LostEvents{LostEvents: &flow.LostEvent{
			Source: flow.LostEventSource_KERNEL_RING_BUFFER, NumEventsLost: 42, Cpu: 1,
		}},
		NodeName: "node-1", Time: at(80),
	},
	{
		ResponseTypes: &observer.GetFlowsResponse_LostEvents{LostEvents: &flow.LostEvent{
			Source: flow.LostEventSource_FLOW_RING, NumEventsLost: 7, Cpu: -1,
		}},
		NodeName: "node-2", Time: at(81),
	},
}
