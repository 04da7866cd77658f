// Package flowgen makes synthetic flows that exercise every field of the
// flow record, deterministically from a seed: for round-trip tests, the
// live-vs-history property test and ingest benchmarks.
package flowgen

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/loupe-dev/loupe/api/flow"
)

// Workload is one synthetic endpoint.
type Workload struct {
	Namespace, Name string
	Identity        uint32
	ID              uint32
	Labels          []string
	V4, V6          netip.Addr
}

// Generator makes flows from a fixed population of workloads.
type Generator struct {
	rng       *rand.Rand
	Workloads []Workload
	Nodes     []string
	now       time.Time
	step      time.Duration
	seq       uint64
}

// New makes a generator of n workloads over the given nodes; flows start at
// start and are step apart on average.
func New(seed uint64, n int, nodes []string, start time.Time, step time.Duration) *Generator {
	g := &Generator{rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)), Nodes: nodes, now: start, step: step}
	namespaces := []string{"shop", "payments", "infra", "o'brien"}
	apps := []string{"frontend", "catalog", "db", "cart", "checkout", "dns", "x' OR 1=1 --"}
	for i := 0; i < n; i++ {
		ns := namespaces[i%len(namespaces)]
		app := apps[i%len(apps)]
		name := fmt.Sprintf("%s-%d", app, i)
		g.Workloads = append(g.Workloads, Workload{
			Namespace: ns, Name: name, Identity: uint32(256 + i), ID: uint32(i + 1),
			Labels: []string{"app=" + app, "loupe.namespace=" + ns, fmt.Sprintf("tier=t%d", i%3)},
			V4:     netip.AddrFrom4([4]byte{10, 200, byte(i / 250), byte(i%250 + 1)}),
			V6:     netip.AddrFrom16([16]byte{0xfd, 0, 0, 0x10, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, byte(i / 250), byte(i%250 + 1)}),
		})
	}
	return g
}

func (g *Generator) pick(xs []string) string { return xs[g.rng.IntN(len(xs))] }

// World is the peer outside the cluster.
var World = &flow.Endpoint{Identity: 2, Labels: []string{"reserved:world"}}

// Next makes one flow. Times increase, with some jitter between nodes.
func (g *Generator) Next() *flow.Flow {
	g.now = g.now.Add(time.Duration(g.rng.Int64N(int64(2*g.step) + 1)))
	g.seq++
	src := g.Workloads[g.rng.IntN(len(g.Workloads))]
	dst := g.Workloads[g.rng.IntN(len(g.Workloads))]
	f := &flow.Flow{
		Time:             timestamppb.New(g.now),
		Id:               g.seq<<8 | uint64(g.rng.IntN(256)),
		NodeName:         g.pick(g.Nodes),
		Verdict:          flow.Verdict_FORWARDED,
		EventType:        flow.EventType_TRACE,
		ObservationPoint: flow.ObservationPoint(1 + g.rng.IntN(2)),
		TraceReason:      flow.TraceReason(1 + g.rng.IntN(3)),
		TrafficDirection: flow.TrafficDirection(1 + g.rng.IntN(2)),
		IsReply:          g.rng.IntN(3) == 0,
		Source:           endpoint(src),
		Destination:      endpoint(dst),
		Packets:          uint64(1 + g.rng.IntN(20)),
		Bytes:            uint64(60 + g.rng.IntN(20000)),
		InterfaceIndex:   uint32(10 + src.ID),
		InterfaceName:    fmt.Sprintf("lxc%d", src.ID),
	}
	if g.rng.IntN(10) == 0 {
		f.Destination = World
	}
	v6 := g.rng.IntN(4) == 0
	if v6 {
		f.Ip = &flow.IP{Source: src.V6.String(), Destination: dst.V6.String(), IpVersion: flow.IPVersion_IPV6}
	} else {
		f.Ip = &flow.IP{Source: src.V4.String(), Destination: dst.V4.String(), IpVersion: flow.IPVersion_IPV4}
	}
	g.l4(f, v6)
	switch r := g.rng.IntN(20); {
	case r < 3:
		f.Verdict, f.EventType = flow.Verdict_DROPPED, flow.EventType_DROP
		f.DropReason = []flow.DropReason{flow.DropReason_POLICY_DENIED, flow.DropReason_POLICY_DENY, flow.DropReason_INVALID_SOURCE_IP}[g.rng.IntN(3)]
		f.PolicyNames = []string{"shop/deny-db"}
		f.PolicyMatchType = flow.PolicyMatchType_POLICY_MATCH_L3_L4
	case r < 5:
		f.EventType = flow.EventType_POLICY_VERDICT
		f.PolicyNames = []string{"shop/allow-frontend", "shop/allow-dns"}[:1+g.rng.IntN(2)]
		f.PolicyMatchType = flow.PolicyMatchType(g.rng.IntN(5))
		if g.rng.IntN(4) == 0 {
			f.Verdict = flow.Verdict_AUDIT
		}
	case r < 8:
		g.l7(f)
	}
	if g.rng.IntN(5) == 0 {
		f.DestinationNames = []string{g.pick([]string{"api.example.com", "db.internal", "evil.example.org"})}
	}
	return f
}

func endpoint(w Workload) *flow.Endpoint {
	return &flow.Endpoint{Id: w.ID, Identity: w.Identity, Namespace: w.Namespace, Workload: w.Name, Labels: w.Labels}
}

func (g *Generator) l4(f *flow.Flow, v6 bool) {
	sport := uint32(32768 + g.rng.IntN(28000))
	dport := []uint32{80, 443, 8080, 5432, 53, 9092}[g.rng.IntN(6)]
	switch r := g.rng.IntN(10); {
	case r < 6:
		b := g.rng.IntN(256)
		f.L4 = &flow.Layer4{Protocol: &flow.Layer4_Tcp{Tcp: &flow.TCP{SourcePort: sport, DestinationPort: dport, Flags: &flow.TCPFlags{
			FIN: b&1 != 0, SYN: b&2 != 0, RST: b&4 != 0, PSH: b&8 != 0, ACK: b&16 != 0, URG: b&32 != 0, ECE: b&64 != 0, CWR: b&128 != 0,
		}}}}
	case r < 8:
		f.L4 = &flow.Layer4{Protocol: &flow.Layer4_Udp{Udp: &flow.UDP{SourcePort: sport, DestinationPort: dport}}}
	case r < 9 && !v6:
		f.L4 = &flow.Layer4{Protocol: &flow.Layer4_Icmpv4{Icmpv4: &flow.ICMPv4{Type: uint32(g.rng.IntN(2) * 8), Code: 0}}}
	case r < 9:
		f.L4 = &flow.Layer4{Protocol: &flow.Layer4_Icmpv6{Icmpv6: &flow.ICMPv6{Type: uint32(128 + g.rng.IntN(2)), Code: 0}}}
	default:
		f.L4 = &flow.Layer4{Protocol: &flow.Layer4_Sctp{Sctp: &flow.SCTP{SourcePort: sport, DestinationPort: 36412}}}
	}
}

func (g *Generator) l7(f *flow.Flow) {
	f.EventType = flow.EventType_L7
	l := &flow.Layer7{Type: flow.L7FlowType(1 + g.rng.IntN(2))}
	if l.Type == flow.L7FlowType_RESPONSE {
		l.LatencyNs = uint64(100_000 + g.rng.IntN(50_000_000))
	}
	switch g.rng.IntN(3) {
	case 0:
		h := &flow.HTTP{Method: g.pick([]string{"GET", "POST", "DELETE"}), Protocol: "HTTP/1.1",
			Url:     g.pick([]string{"http://catalog:8080/products", "http://cart:8080/items/7", "/<img src=x onerror=alert(1)>"}),
			Headers: []*flow.HTTPHeader{{Key: "user-agent", Value: "curl/7.88"}, {Key: "x-request-id", Value: fmt.Sprint(g.seq)}}}
		if l.Type == flow.L7FlowType_RESPONSE {
			h.Code = uint32(g.pick2([]int{200, 200, 200, 404, 503}))
		}
		l.Record = &flow.Layer7_Http{Http: h}
		f.TraceContext = &flow.TraceContext{TraceId: fmt.Sprintf("%032x", g.seq/4), ParentSpanId: fmt.Sprintf("%016x", g.seq)}
		if h.Code == 503 {
			f.Verdict = flow.Verdict_ERROR
		}
	case 1:
		d := &flow.DNS{Query: g.pick([]string{"catalog.shop.", "api.example.com.", "nx.example.org."}), Qtypes: []string{"A"}}
		if l.Type == flow.L7FlowType_RESPONSE {
			d.Rcode = uint32(g.pick2([]int{0, 0, 3}))
			if d.Rcode == 0 {
				d.Ips, d.Ttl, d.Rrtypes = []string{"10.0.0.7", "10.0.0.8"}, 30, []string{"A"}
				d.Cnames = []string{"edge.example.net."}
			}
		}
		l.Record = &flow.Layer7_Dns{Dns: d}
	default:
		l.Record = &flow.Layer7_Kafka{Kafka: &flow.Kafka{ApiKey: g.pick([]string{"produce", "fetch"}), ApiVersion: int32(g.rng.IntN(12)),
			CorrelationId: int32(g.seq), Topic: g.pick([]string{"orders", "payments"}), ErrorCode: int32(g.pick2([]int{0, 0, 29}))}}
	}
	f.L7 = l
}

func (g *Generator) pick2(xs []int) int { return xs[g.rng.IntN(len(xs))] }
