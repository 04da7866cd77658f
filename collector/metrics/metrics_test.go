package metrics

import (
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"go.uber.org/goleak"

	"github.com/loupe-dev/loupe/api/flow"
	"github.com/loupe-dev/loupe/internal/flowgen"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func newTestMetrics(t testing.TB, specs string, cap int) (*Metrics, *prometheus.Registry) {
	t.Helper()
	s, err := ParseSpecs(specs)
	if err != nil {
		t.Fatal(err)
	}
	cfg := DefaultConfig()
	cfg.Specs, cfg.SeriesCap, cfg.Ports = s, cap, []uint16{8080}
	reg := prometheus.NewRegistry()
	m, err := New(cfg, reg)
	if err != nil {
		t.Fatal(err)
	}
	return m, reg
}

var (
	frontend = &flow.Endpoint{Id: 1, Identity: 300, Namespace: "shop", Workload: "frontend", Labels: []string{"app=frontend"}}
	catalog  = &flow.Endpoint{Id: 2, Identity: 301, Namespace: "shop", Workload: "catalog", Labels: []string{"k8s:app=catalog"}}
)

func tcp(dport uint32, flags *flow.TCPFlags) *flow.Layer4 {
	return &flow.Layer4{Protocol: &flow.Layer4_Tcp{Tcp: &flow.TCP{SourcePort: 40000, DestinationPort: dport, Flags: flags}}}
}

func TestFlowsToSeries(t *testing.T) {
	ip4 := &flow.IP{IpVersion: flow.IPVersion_IPV4}
	ip6 := &flow.IP{IpVersion: flow.IPVersion_IPV6}
	tests := []struct {
		name, specs, metric string
		flows               []*flow.Flow
		want                string
	}{{
		name: "flows by type subtype verdict", specs: "flow", metric: "loupe_flows_processed_total",
		flows: []*flow.Flow{
			{EventType: flow.EventType_TRACE, ObservationPoint: flow.ObservationPoint_TO_ENDPOINT, Verdict: flow.Verdict_FORWARDED},
			{EventType: flow.EventType_TRACE, ObservationPoint: flow.ObservationPoint_TO_ENDPOINT, Verdict: flow.Verdict_FORWARDED},
			{EventType: flow.EventType_DROP, ObservationPoint: flow.ObservationPoint_FROM_ENDPOINT, Verdict: flow.Verdict_DROPPED},
			{EventType: flow.EventType_L7, Verdict: flow.Verdict_FORWARDED, L7: &flow.Layer7{Record: &flow.Layer7_Dns{Dns: &flow.DNS{}}}},
		},
		want: `
loupe_flows_processed_total{subtype="DNS",type="L7",verdict="FORWARDED"} 1
loupe_flows_processed_total{subtype="from-endpoint",type="Drop",verdict="DROPPED"} 1
loupe_flows_processed_total{subtype="to-endpoint",type="Trace",verdict="FORWARDED"} 2
`,
	}, {
		name: "drops by reason and protocol with contexts", specs: "drop:sourceContext=workload;destinationContext=app", metric: "loupe_drop_total",
		flows: []*flow.Flow{
			{EventType: flow.EventType_DROP, Verdict: flow.Verdict_DROPPED, DropReason: flow.DropReason_POLICY_DENIED, L4: tcp(5432, nil), Source: frontend, Destination: catalog},
			{EventType: flow.EventType_TRACE, Verdict: flow.Verdict_FORWARDED, L4: tcp(80, nil), Source: frontend, Destination: catalog},
		},
		want: `
loupe_drop_total{destination="catalog",protocol="TCP",reason="POLICY_DENIED",source="shop/frontend"} 1
`,
	}, {
		name: "policy verdicts", specs: "policy:destinationContext=identity", metric: "loupe_policy_verdicts_total",
		flows: []*flow.Flow{
			{EventType: flow.EventType_POLICY_VERDICT, Verdict: flow.Verdict_DROPPED, TrafficDirection: flow.TrafficDirection_INGRESS, PolicyMatchType: flow.PolicyMatchType_POLICY_MATCH_NONE, Destination: catalog},
			{EventType: flow.EventType_POLICY_VERDICT, Verdict: flow.Verdict_FORWARDED, TrafficDirection: flow.TrafficDirection_EGRESS, PolicyMatchType: flow.PolicyMatchType_POLICY_MATCH_L3_L4, Destination: catalog},
		},
		want: `
loupe_policy_verdicts_total{action="dropped",destination="301",direction="ingress",match="none"} 1
loupe_policy_verdicts_total{action="forwarded",destination="301",direction="egress",match="l3-l4"} 1
`,
	}, {
		name: "tcp flags", specs: "tcp", metric: "loupe_tcp_flags_total",
		flows: []*flow.Flow{
			{Ip: ip4, L4: tcp(80, &flow.TCPFlags{SYN: true})},
			{Ip: ip4, L4: tcp(80, &flow.TCPFlags{SYN: true, ACK: true})},
			{Ip: ip6, L4: tcp(80, &flow.TCPFlags{FIN: true, RST: true})},
		},
		want: `
loupe_tcp_flags_total{family="IPv4",flag="SYN"} 1
loupe_tcp_flags_total{family="IPv4",flag="SYN-ACK"} 1
loupe_tcp_flags_total{family="IPv6",flag="FIN"} 1
loupe_tcp_flags_total{family="IPv6",flag="RST"} 1
`,
	}, {
		name: "icmp", specs: "icmp", metric: "loupe_icmp_total",
		flows: []*flow.Flow{
			{L4: &flow.Layer4{Protocol: &flow.Layer4_Icmpv4{Icmpv4: &flow.ICMPv4{Type: 8}}}},
			{L4: &flow.Layer4{Protocol: &flow.Layer4_Icmpv6{Icmpv6: &flow.ICMPv6{Type: 129}}}},
			{L4: &flow.Layer4{Protocol: &flow.Layer4_Icmpv6{Icmpv6: &flow.ICMPv6{Type: 200}}}},
		},
		want: `
loupe_icmp_total{family="IPv4",type="EchoRequest"} 1
loupe_icmp_total{family="IPv6",type="200"} 1
loupe_icmp_total{family="IPv6",type="EchoReply"} 1
`,
	}, {
		name: "ports: well-known, configured, other, replies skipped", specs: "port-distribution", metric: "loupe_port_distribution_total",
		flows: []*flow.Flow{
			{L4: tcp(80, nil)},
			{L4: tcp(8080, nil)},
			{L4: tcp(9999, nil)},
			{L4: tcp(80, nil), IsReply: true},
			{L4: &flow.Layer4{Protocol: &flow.Layer4_Udp{Udp: &flow.UDP{DestinationPort: 53}}}},
		},
		want: `
loupe_port_distribution_total{port="53",protocol="UDP"} 1
loupe_port_distribution_total{port="80",protocol="TCP"} 1
loupe_port_distribution_total{port="8080",protocol="TCP"} 1
loupe_port_distribution_total{port="other",protocol="TCP"} 1
`,
	}, {
		name: "dns responses", specs: "dns", metric: "loupe_dns_responses_total",
		flows: []*flow.Flow{
			{EventType: flow.EventType_L7, L7: &flow.Layer7{Type: flow.L7FlowType_REQUEST, Record: &flow.Layer7_Dns{Dns: &flow.DNS{Qtypes: []string{"A"}}}}},
			{EventType: flow.EventType_L7, L7: &flow.Layer7{Type: flow.L7FlowType_RESPONSE, Record: &flow.Layer7_Dns{Dns: &flow.DNS{Qtypes: []string{"A", "AAAA"}, Rcode: 3}}}},
		},
		want: `
loupe_dns_responses_total{qtypes="A,AAAA",rcode="NXDomain"} 1
`,
	}, {
		name: "dns answers by record type, inferred without record types", specs: "dns", metric: "loupe_dns_response_types_total",
		flows: []*flow.Flow{
			{EventType: flow.EventType_L7, L7: &flow.Layer7{Type: flow.L7FlowType_REQUEST, Record: &flow.Layer7_Dns{Dns: &flow.DNS{Qtypes: []string{"A"}}}}},
			{EventType: flow.EventType_L7, L7: &flow.Layer7{Type: flow.L7FlowType_RESPONSE, Record: &flow.Layer7_Dns{Dns: &flow.DNS{Qtypes: []string{"A"}, Rrtypes: []string{"CNAME", "A", "A"}}}}},
			{EventType: flow.EventType_L7, L7: &flow.Layer7{Type: flow.L7FlowType_RESPONSE, Record: &flow.Layer7_Dns{Dns: &flow.DNS{Qtypes: []string{"AAAA"}, Ips: []string{"fd00::1"}, Cnames: []string{"edge."}}}}},
			{EventType: flow.EventType_L7, L7: &flow.Layer7{Type: flow.L7FlowType_RESPONSE, Record: &flow.Layer7_Dns{Dns: &flow.DNS{Qtypes: []string{"A"}, Rcode: 3}}}},
		},
		want: `
loupe_dns_response_types_total{qtypes="A",type="A"} 2
loupe_dns_response_types_total{qtypes="A",type="CNAME"} 1
loupe_dns_response_types_total{qtypes="AAAA",type="AAAA"} 1
loupe_dns_response_types_total{qtypes="AAAA",type="CNAME"} 1
`,
	}, {
		name: "l7 responses: source is the client, destination the server", specs: "http:sourceContext=workload;destinationContext=workload", metric: "loupe_http_requests_total",
		flows: []*flow.Flow{
			{EventType: flow.EventType_L7, IsReply: true, Source: catalog, Destination: frontend, L7: &flow.Layer7{Type: flow.L7FlowType_RESPONSE, Record: &flow.Layer7_Http{Http: &flow.HTTP{Method: "GET", Protocol: "HTTP/1.1", Code: 200}}}},
		},
		want: `
loupe_http_requests_total{destination="shop/catalog",method="GET",protocol="HTTP/1.1",source="shop/frontend",status="200"} 1
`,
	}, {
		name: "http requests", specs: "http", metric: "loupe_http_requests_total",
		flows: []*flow.Flow{
			{EventType: flow.EventType_L7, L7: &flow.Layer7{Type: flow.L7FlowType_RESPONSE, LatencyNs: 2e6, Record: &flow.Layer7_Http{Http: &flow.HTTP{Method: "GET", Protocol: "HTTP/1.1", Code: 503}}}},
		},
		want: `
loupe_http_requests_total{method="GET",protocol="HTTP/1.1",status="503"} 1
`,
	}, {
		name: "kafka", specs: "kafka", metric: "loupe_kafka_requests_total",
		flows: []*flow.Flow{
			{EventType: flow.EventType_L7, L7: &flow.Layer7{Type: flow.L7FlowType_RESPONSE, Record: &flow.Layer7_Kafka{Kafka: &flow.Kafka{Topic: "orders", ApiKey: "produce", ErrorCode: 29}}}},
		},
		want: `
loupe_kafka_requests_total{api_key="produce",error_code="29",topic="orders"} 1
`,
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, reg := newTestMetrics(t, tt.specs, 100)
			for _, f := range tt.flows {
				m.Observe(f)
			}
			if err := testutil.GatherAndCompare(reg, strings.NewReader(header(reg, tt.metric)+tt.want), tt.metric); err != nil {
				t.Error(err)
			}
		})
	}
}

// header is the HELP and TYPE lines of metric as registered.
func header(reg *prometheus.Registry, metric string) string {
	mfs, _ := reg.Gather()
	for _, mf := range mfs {
		if mf.GetName() == metric {
			return "# HELP " + metric + " " + mf.GetHelp() + "\n# TYPE " + metric + " " + strings.ToLower(mf.GetType().String()) + "\n"
		}
	}
	return ""
}

// TestEveryFamilyFed feeds synthetic flows of every kind (L7 included) and
// expects a series in each family.
func TestEveryFamilyFed(t *testing.T) {
	m, reg := newTestMetrics(t, DefaultSpecs, 1000)
	if len(m.families) != 12 {
		t.Errorf("families = %d, want 12", len(m.families))
	}
	g := flowgen.New(1, 10, []string{"n1"}, time.Unix(0, 0), time.Millisecond)
	for range 2000 {
		m.Observe(g.Next())
	}
	for name := range m.families {
		if n, err := testutil.GatherAndCount(reg, name); err != nil || n == 0 {
			t.Errorf("%s: %d series (%v), want some", name, n, err)
		}
	}
}
