package history_test

import (
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/loupe-dev/loupe/api/flow"
)

// edgeFlows add to flowgen's the cases where SQL and Go could part: no
// addresses, IPv4-mapped IPv6, odd label sets and names, URLs and DNS
// names of every shape, newlines, Unicode case folding, hostile strings.
func edgeFlows(t0 time.Time) []*flow.Flow {
	ep := func(ns, workload string, labels ...string) *flow.Endpoint {
		return &flow.Endpoint{Id: 900, Identity: 9000, Namespace: ns, Workload: workload, Labels: labels}
	}
	ip4 := func(s, d string) *flow.IP { return &flow.IP{Source: s, Destination: d, IpVersion: flow.IPVersion_IPV4} }
	ip6 := func(s, d string) *flow.IP { return &flow.IP{Source: s, Destination: d, IpVersion: flow.IPVersion_IPV6} }
	tcp := func(sp, dp uint32, fl *flow.TCPFlags) *flow.Layer4 {
		return &flow.Layer4{Protocol: &flow.Layer4_Tcp{Tcp: &flow.TCP{SourcePort: sp, DestinationPort: dp, Flags: fl}}}
	}
	udp := &flow.Layer4{Protocol: &flow.Layer4_Udp{Udp: &flow.UDP{SourcePort: 5353, DestinationPort: 53}}}
	http := func(method, url string, code uint32, headers ...*flow.HTTPHeader) *flow.Layer7 {
		return &flow.Layer7{Type: flow.L7FlowType_RESPONSE, Record: &flow.Layer7_Http{Http: &flow.HTTP{Method: method, Url: url, Code: code, Headers: headers}}}
	}
	dns := func(q string) *flow.Layer7 {
		return &flow.Layer7{Type: flow.L7FlowType_REQUEST, Record: &flow.Layer7_Dns{Dns: &flow.DNS{Query: q}}}
	}
	hdr := func(k, v string) *flow.HTTPHeader { return &flow.HTTPHeader{Key: k, Value: v} }
	syn := &flow.TCPFlags{SYN: true}

	flows := []*flow.Flow{
		{Verdict: flow.Verdict_FORWARDED},
		{Ip: ip6("::ffff:10.200.0.5", "::ffff:192.168.1.1"), L4: tcp(1, 2, syn), Source: ep("shop", "mapped")},
		{Ip: ip6("::", "fd00::1"), L4: udp},
		{Ip: ip4("10.200.0.1", "10.200.0.2"), L4: tcp(3, 80, syn),
			Source: ep("shop", "dups", "app=a", "app=b", "flag", "app"), Destination: ep("shop", "empty-app", "app=", "tier=t1")},
		{SourceNames: []string{"API.Example.COM.", "", "a..", "x.example.com"}, DestinationNames: []string{"."}},
		{SourceNames: []string{"db.internal"}, DestinationNames: []string{"weird\nname.example.com"}},
		{L7: http("get", "http://catalog:8080", 200, hdr("User-Agent", "curl/7.88"))},
		{L7: http("poſt", "http://h?x=/a", 404, hdr("\u212aey", "v"))},
		{L7: http("GeT", "https://h/a/b?c#d", 503, hdr("key", " v"))},
		{L7: http("DELETE", "/rel/path#frag", 599)},
		{L7: http("GET", "no-slash", 100)},
		{L7: http("GET", "http://h/a://b", 0)},
		{L7: http("GET", "", 200)},
		{L7: http("GET", "HTTP://H/UP", 200)},
		{L7: http("GET", "/a\nb", 200)},
		{L7: http("GET", "/items/7", 201)},
		{L7: http("GET", "/<img src=x onerror=alert(1)>", 500)},
		{L7: dns("catalog.shop.")},
		{L7: dns("catalog.shop")},
		{L7: dns("")},
		{L7: dns("a\nb.example.")},
		{L7: dns("ünï.example.")},
		{L7: dns("API.EXAMPLE.COM")},
		{NodeName: "Node-A"},
		{NodeName: "node-x\ny"},
		{NodeName: "NODE-ß"},
		{TraceContext: &flow.TraceContext{TraceId: "4BF92F3577B34DA6A3CE929D0E0E4736"}},
		{Source: ep("o'brien", "x' OR 1=1 --", "app=x' OR 1=1 --"), Destination: ep(`a\b`, `\`)},
		{Source: ep("o\x00brien", "nul\x00"), Destination: ep("x' OR 1=1 --", "o'brien")},
		{Source: ep("shop", `x\' OR 1=1 --`), Destination: ep(`'`, `''`)},
		{L4: &flow.Layer4{Protocol: &flow.Layer4_Icmpv6{Icmpv6: &flow.ICMPv6{Type: 128}}}, Ip: ip6("fd00::10:0:1", "2001:db8::1")},
		{L4: &flow.Layer4{Protocol: &flow.Layer4_Sctp{Sctp: &flow.SCTP{SourcePort: 80, DestinationPort: 80}}}, Ip: ip4("10.200.0.9", "0.0.0.0")},
		{L4: tcp(80, 443, &flow.TCPFlags{}), Ip: ip4("255.255.255.255", "10.200.0.1"), IsReply: true, Verdict: flow.Verdict_ERROR},
	}
	for i, f := range flows {
		f.Id = uint64(i + 1)
		if f.NodeName == "" {
			f.NodeName = "edge"
		}
		// Spread over the generated flows' time, a few at the very same
		// time as each other.
		f.Time = timestamppb.New(t0.Add(time.Duration(i/2) * 97 * time.Millisecond))
		if f.L7 != nil {
			f.EventType = flow.EventType_L7
		}
	}
	return flows
}
