package history_test

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"slices"
	"strings"

	"github.com/loupe-dev/loupe/api/flow"
	"github.com/loupe-dev/loupe/api/labels"
)

// values are the values the flows hold, to draw filter values from, so
// that most filters match something.
type values struct {
	labels, keys, namespaces, workloads, addrs, ports, names, nodes, traceIDs, headers []string
	identities                                                                         []uint32
}

func valuesOf(flows []*flow.Flow) *values {
	sets := map[string]map[string]bool{}
	add := func(kind, v string) {
		if sets[kind] == nil {
			sets[kind] = map[string]bool{}
		}
		sets[kind][v] = true
	}
	ids := map[uint32]bool{}
	for _, f := range flows {
		for _, ep := range []*flow.Endpoint{f.GetSource(), f.GetDestination()} {
			for _, l := range ep.GetLabels() {
				add("labels", l)
				k, _, _ := strings.Cut(l, "=")
				add("keys", k)
			}
			add("namespaces", ep.GetNamespace())
			add("workloads", ep.GetWorkload())
			add("workloads", ep.GetNamespace()+"/"+ep.GetWorkload())
			ids[ep.GetIdentity()] = true
		}
		add("addrs", f.GetIp().GetSource())
		add("addrs", f.GetIp().GetDestination())
		if tcp := f.GetL4().GetTcp(); tcp != nil {
			add("ports", fmt.Sprint(tcp.GetDestinationPort()))
		}
		for _, n := range append(f.GetSourceNames(), f.GetDestinationNames()...) {
			add("names", n)
		}
		add("nodes", f.GetNodeName())
		add("traceIDs", f.GetTraceContext().GetTraceId())
		for _, h := range f.GetL7().GetHttp().GetHeaders() {
			add("headers", h.GetKey()+":"+h.GetValue())
		}
	}
	sorted := func(kind string) []string {
		var out []string
		for v := range sets[kind] {
			if v != "" {
				out = append(out, v)
			}
		}
		slices.Sort(out)
		return out
	}
	v := &values{labels: sorted("labels"), keys: sorted("keys"), namespaces: sorted("namespaces"), workloads: sorted("workloads"),
		addrs: sorted("addrs"), ports: sorted("ports"), names: sorted("names"), nodes: sorted("nodes"),
		traceIDs: sorted("traceIDs"), headers: sorted("headers")}
	for id := range ids {
		v.identities = append(v.identities, id)
	}
	slices.Sort(v.identities)
	return v
}

// gen draws filters from a seeded source, so that a failure repeats.
type gen struct {
	r *rand.Rand
	v *values
}

func pick[T any](g *gen, xs ...T) T { return xs[g.r.IntN(len(xs))] }

// some draws one to three values.
func some[T any](g *gen, draw func() T) []T {
	out := make([]T, 1+g.r.IntN(3))
	for i := range out {
		out[i] = draw()
	}
	return out
}

// randomCase changes the case of some letters.
func (g *gen) randomCase(s string) string {
	b := []rune(s)
	for i := range b {
		if g.r.IntN(2) == 0 {
			b[i] = []rune(strings.ToUpper(string(b[i])))[0]
		}
	}
	return string(b)
}

// huge is an expression too large for ClickHouse's RE2: it is left to Go.
const huge = `(?:\pL|\pN|/){0,40}`

// fieldGens set one field of a filter each, by protobuf field name.
var fieldGens = map[string]func(*gen, *flow.FlowFilter){
	"source_label":      func(g *gen, ff *flow.FlowFilter) { ff.SourceLabel = some(g, g.selector) },
	"destination_label": func(g *gen, ff *flow.FlowFilter) { ff.DestinationLabel = some(g, g.selector) },
	"source_namespace":  func(g *gen, ff *flow.FlowFilter) { ff.SourceNamespace = some(g, g.namespace) },
	"destination_namespace": func(g *gen, ff *flow.FlowFilter) {
		ff.DestinationNamespace = some(g, g.namespace)
	},
	"source_workload":      func(g *gen, ff *flow.FlowFilter) { ff.SourceWorkload = some(g, g.workload) },
	"destination_workload": func(g *gen, ff *flow.FlowFilter) { ff.DestinationWorkload = some(g, g.workload) },
	"source_ip":            func(g *gen, ff *flow.FlowFilter) { ff.SourceIp = some(g, g.ip) },
	"destination_ip":       func(g *gen, ff *flow.FlowFilter) { ff.DestinationIp = some(g, g.ip) },
	"source_port": func(g *gen, ff *flow.FlowFilter) {
		ff.SourcePort = some(g, func() string { return pick(g, append(g.v.ports, "0", "1", "3868")...) })
	},
	"destination_port": func(g *gen, ff *flow.FlowFilter) {
		ff.DestinationPort = some(g, func() string { return pick(g, append(g.v.ports, "0", "36412", "53", "65535")...) })
	},
	"source_identity": func(g *gen, ff *flow.FlowFilter) {
		ff.SourceIdentity = some(g, func() uint32 { return pick(g, append(g.v.identities, 0, 2, 99999)...) })
	},
	"destination_identity": func(g *gen, ff *flow.FlowFilter) {
		ff.DestinationIdentity = some(g, func() uint32 { return pick(g, append(g.v.identities, 0, 2, 99999)...) })
	},
	"source_fqdn":      func(g *gen, ff *flow.FlowFilter) { ff.SourceFqdn = some(g, g.fqdn) },
	"destination_fqdn": func(g *gen, ff *flow.FlowFilter) { ff.DestinationFqdn = some(g, g.fqdn) },
	"protocol": func(g *gen, ff *flow.FlowFilter) {
		ff.Protocol = some(g, func() string {
			return g.randomCase(pick(g, "tcp", "udp", "icmp", "icmpv4", "icmpv6", "sctp", "http", "dns", "kafka"))
		})
	},
	"verdict": func(g *gen, ff *flow.FlowFilter) {
		ff.Verdict = some(g, func() flow.Verdict { return flow.Verdict(g.r.IntN(6)) })
	},
	"event_type": func(g *gen, ff *flow.FlowFilter) { ff.EventType = some(g, g.eventType) },
	"traffic_direction": func(g *gen, ff *flow.FlowFilter) {
		ff.TrafficDirection = some(g, func() flow.TrafficDirection { return flow.TrafficDirection(g.r.IntN(3)) })
	},
	"drop_reason": func(g *gen, ff *flow.FlowFilter) {
		ff.DropReason = some(g, func() flow.DropReason {
			return pick(g, flow.DropReason_DROP_REASON_UNKNOWN, flow.DropReason_POLICY_DENIED, flow.DropReason_POLICY_DENY,
				flow.DropReason_INVALID_SOURCE_IP, flow.DropReason_CT_MAP_FULL)
		})
	},
	"node_name": func(g *gen, ff *flow.FlowFilter) {
		ff.NodeName = some(g, func() string {
			return pick(g, append(g.v.nodes, "node-*", "NODE-*", "*-b", "*", "node", "edge*", "*ß", "node-x*", "n*e-a")...)
		})
	},
	"http_method": func(g *gen, ff *flow.FlowFilter) {
		ff.HttpMethod = some(g, func() string { return g.randomCase(pick(g, "get", "post", "delete", "put", "key")) })
	},
	"http_path": func(g *gen, ff *flow.FlowFilter) {
		ff.HttpPath = some(g, func() string {
			return pick(g, "/products", "/items/.*", "/.*", ".*", "/items", "/x|/products", "(?i)/PRODUCTS", `/items/\d+`,
				"/<img.*", "/a.b", "(?s)/a.b", "/", "[/]", `/\pL+`, "/(?<n>items)/7", "/rel/path", "/a://b", "/UP", huge)
		})
	},
	"http_status_code": func(g *gen, ff *flow.FlowFilter) {
		ff.HttpStatusCode = some(g, func() string {
			return pick(g, "200", "404", "503", "4+", "5+", "50+", "20+", "1+", "2+", "100", "599")
		})
	},
	"http_header": func(g *gen, ff *flow.FlowFilter) {
		ff.HttpHeader = some(g, func() string {
			return pick(g, append(g.v.headers[:min(len(g.v.headers), 5):min(len(g.v.headers), 5)],
				"User-Agent: curl/7.88", "USER-AGENT:curl/7.88", "key:v", "KEY: v", "nope:x", "user-agent:CURL/7.88")...)
		})
	},
	"dns_query": func(g *gen, ff *flow.FlowFilter) {
		ff.DnsQuery = some(g, func() string {
			return pick(g, "example", `\.shop\.$`, `^catalog\.shop$`, `\.$`, "^nx", "(?i)API", ".*", "^$", "a.b", `(?<x>ex)ample`,
				`^\pL+\.`, "(?i)ÜNÏ", `^a$`, huge)
		})
	},
	"tcp_flags": func(g *gen, ff *flow.FlowFilter) {
		ff.TcpFlags = some(g, func() *flow.TCPFlags {
			b := 1 + g.r.IntN(255)
			if g.r.IntN(2) == 0 {
				b = 1 << g.r.IntN(8) // one flag matches more often
			}
			return &flow.TCPFlags{FIN: b&1 != 0, SYN: b&2 != 0, RST: b&4 != 0, PSH: b&8 != 0,
				ACK: b&16 != 0, URG: b&32 != 0, ECE: b&64 != 0, CWR: b&128 != 0}
		})
	},
	"trace_id": func(g *gen, ff *flow.FlowFilter) {
		ff.TraceId = some(g, func() string {
			return g.randomCase(pick(g, append(g.v.traceIDs, "00f067aa0ba902b700f067aa0ba902b7")...))
		})
	},
	"reply": func(g *gen, ff *flow.FlowFilter) {
		ff.Reply = pick(g, []bool{true}, []bool{false}, []bool{true, false})
	},
}

func (g *gen) selector() string {
	label, k, v := g.label()
	_, _, v2 := g.label()
	key := pick(g, append(g.v.keys, "nope", "flag")...)
	return pick(g,
		label, k+"=="+v, k+"!="+v, fmt.Sprintf("%s in (%s, %s)", k, v, v2), fmt.Sprintf("%s notin (%s)", k, v),
		key, "!"+key, label+",!"+key, "app=", "app!=", "app in (a, b)", "app notin (b)", "nope=x", "tier in (t0,t2),app")
}

// label draws a label of the flows, mostly one that a selector can name:
// some values, like "x' OR 1=1 --", make the request invalid.
func (g *gen) label() (label, key, value string) {
	for range 5 {
		label = pick(g, g.v.labels...)
		key, value, _ = strings.Cut(label, "=")
		if labels.ValidateKey(key) == nil && labels.ValidateValue(value) == nil {
			break
		}
	}
	return label, key, value
}

func (g *gen) namespace() string {
	return pick(g, append(g.v.namespaces, "nope", "Shop", `a\b`, "o\x00brien", "x' OR 1=1 --")...)
}

func (g *gen) workload() string {
	return pick(g, append(g.v.workloads, "nope", "other/frontend-0", `\`, "x' OR 1=1 --", "shop/x' OR 1=1 --")...)
}

func (g *gen) ip() string {
	a := netip.MustParseAddr(pick(g, g.v.addrs...))
	switch g.r.IntN(4) {
	case 0:
		return a.String()
	case 1:
		bits := a.Unmap().BitLen()
		if a.Is4In6() {
			return a.String() // unmaps to IPv4
		}
		return netip.PrefixFrom(a, g.r.IntN(bits+1)).String() // host bits kept: ignored
	}
	return pick(g, "0.0.0.0/0", "::/0", "::ffff:10.200.0.1", "10.200.0.77/24", "fd00::/8", "2001:db8::/32", "::",
		"10.0.0.0/8", "192.168.1.1", "255.255.255.255/32", "fd00::10:0:0/100", "::/1", "8000::/1", "::/96", "::/80")
}

func (g *gen) fqdn() string {
	n := strings.TrimSuffix(pick(g, g.v.names...), ".")
	if strings.ContainsAny(n, "\n") || n == "" || strings.HasPrefix(n, ".") {
		n = "db.internal"
	}
	return pick(g, n, n+".", strings.ToUpper(n), "*", "*.example.com", "api.*.com", "*.*.com", "*-*.example.org",
		"nomatch.test", "db.*", "a.", "*.COM.")
}

func (g *gen) eventType() string {
	return g.randomCase(pick(g, "trace", "drop", "policy-verdict", "l7", "trace:from-endpoint", "trace:to-endpoint",
		"trace:to-proxy", "trace:to-network"))
}

// filter sets one to three random fields.
func (g *gen) filter(names []string) *flow.FlowFilter {
	ff := &flow.FlowFilter{}
	for range 1 + g.r.IntN(3) {
		fieldGens[pick(g, names...)](g, ff)
	}
	return ff
}

func (g *gen) filters(names []string, most int) []*flow.FlowFilter {
	var out []*flow.FlowFilter
	for range g.r.IntN(most + 1) {
		out = append(out, g.filter(names))
	}
	return out
}
