package filters

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/loupe-dev/loupe/api/flow"
)

// passing compiles allow and deny and returns the sorted names of the test
// flows that pass.
func passing(t *testing.T, allow, deny []*flow.FlowFilter) []string {
	t.Helper()
	fn, err := Compile(allow, deny)
	if err != nil {
		t.Fatalf("Compile: %v", err)
	}
	names := []string{}
	for name, f := range testFlows {
		if fn(f) {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	return names
}

func names(s ...string) []string {
	slices.Sort(s)
	if s == nil {
		return []string{}
	}
	return s
}

var allFlows = names("syn", "synack", "drop", "dns", "http", "icmp6", "icmp4", "sctp", "kafka", "host", "empty")

func TestCompileFields(t *testing.T) {
	tests := []struct {
		name   string
		filter *flow.FlowFilter
		want   []string
	}{
		{"empty filter", &flow.FlowFilter{}, allFlows},

		{"source_label equals", &flow.FlowFilter{SourceLabel: []string{"app=frontend"}}, names("syn", "drop", "dns", "http", "icmp6", "sctp")},
		{"source_label in", &flow.FlowFilter{SourceLabel: []string{"app in (catalog, db)"}}, names("synack", "kafka")},
		{"source_label not exists", &flow.FlowFilter{SourceLabel: []string{"!app"}}, names("icmp4", "host", "empty")},
		{"source_label values ORed", &flow.FlowFilter{SourceLabel: []string{"app=catalog", "app=db"}}, names("synack", "kafka")},
		{"source_label requirements ANDed", &flow.FlowFilter{SourceLabel: []string{"app=frontend,tier=api"}}, names()},
		{"source_label namespace label", &flow.FlowFilter{SourceLabel: []string{"loupe.namespace=kube-system"}}, names()},
		{"destination_label", &flow.FlowFilter{DestinationLabel: []string{"app=catalog"}}, names("syn", "http")},
		{"destination_label exists", &flow.FlowFilter{DestinationLabel: []string{"tier"}}, names("syn", "http", "synack", "icmp4", "host")},
		{"destination_label notin", &flow.FlowFilter{DestinationLabel: []string{"app notin (frontend,catalog),app"}}, names("drop", "dns", "sctp")},

		{"source_namespace", &flow.FlowFilter{SourceNamespace: []string{"shop"}}, names("syn", "synack", "drop", "dns", "http", "icmp6", "sctp", "kafka")},
		{"destination_namespace", &flow.FlowFilter{DestinationNamespace: []string{"kube-system"}}, names("dns")},
		{"destination_namespace ORed", &flow.FlowFilter{DestinationNamespace: []string{"kube-system", "shop"}}, names("syn", "synack", "drop", "dns", "http", "icmp4", "sctp", "host")},
		{"destination_namespace no match", &flow.FlowFilter{DestinationNamespace: []string{"Shop"}}, names()},

		{"source_workload", &flow.FlowFilter{SourceWorkload: []string{"frontend"}}, names("syn", "drop", "dns", "http", "icmp6", "sctp")},
		{"source_workload namespaced", &flow.FlowFilter{SourceWorkload: []string{"shop/catalog"}}, names("synack", "kafka")},
		{"source_workload other namespace", &flow.FlowFilter{SourceWorkload: []string{"other/catalog"}}, names()},
		{"destination_workload", &flow.FlowFilter{DestinationWorkload: []string{"db"}}, names("drop", "sctp")},

		{"source_ip address", &flow.FlowFilter{SourceIp: []string{"10.0.1.10"}}, names("syn", "drop", "http", "sctp")},
		{"source_ip v4 CIDR", &flow.FlowFilter{SourceIp: []string{"10.0.1.0/24"}}, names("syn", "synack", "drop", "http", "sctp", "kafka")},
		{"source_ip v6 CIDR host bits", &flow.FlowFilter{SourceIp: []string{"fd00::10/64"}}, names("dns", "icmp6")},
		{"source_ip v4-mapped flow", &flow.FlowFilter{SourceIp: []string{"192.168.1.1"}}, names("host")},
		{"source_ip no match", &flow.FlowFilter{SourceIp: []string{"10.0.2.0/24", "fd01::/16"}}, names()},
		{"destination_ip v6", &flow.FlowFilter{DestinationIp: []string{"2001:db8::/32"}}, names("icmp6")},
		{"destination_ip zoned flow", &flow.FlowFilter{DestinationIp: []string{"fe80::1"}}, names("host")},
		{"destination_ip all v4", &flow.FlowFilter{DestinationIp: []string{"0.0.0.0/0"}}, names("syn", "synack", "drop", "http", "icmp4", "sctp", "kafka")},

		{"source_port", &flow.FlowFilter{SourcePort: []string{"8080"}}, names("synack")},
		{"destination_port tcp", &flow.FlowFilter{DestinationPort: []string{"8080"}}, names("syn", "http")},
		{"destination_port ORed udp tcp", &flow.FlowFilter{DestinationPort: []string{"53", "5432"}}, names("dns", "drop")},
		{"destination_port sctp", &flow.FlowFilter{DestinationPort: []string{"3868"}}, names("sctp")},
		{"destination_port icmp has none", &flow.FlowFilter{DestinationPort: []string{"0"}}, names()},

		{"source_identity world", &flow.FlowFilter{SourceIdentity: []uint32{2}}, names("icmp4")},
		{"source_identity ORed", &flow.FlowFilter{SourceIdentity: []uint32{1, 1001}}, names("syn", "drop", "dns", "http", "icmp6", "sctp", "host")},
		{"destination_identity", &flow.FlowFilter{DestinationIdentity: []uint32{2}}, names("icmp6")},
		{"destination_identity missing endpoint", &flow.FlowFilter{DestinationIdentity: []uint32{0}}, names("kafka", "empty")},

		{"source_fqdn wildcard", &flow.FlowFilter{SourceFqdn: []string{"*.shop.svc.loupe"}}, names("synack")},
		{"source_fqdn wildcard is one label", &flow.FlowFilter{SourceFqdn: []string{"*.example.com"}}, names()},
		{"source_fqdn deeper wildcard", &flow.FlowFilter{SourceFqdn: []string{"*.a.example.com"}}, names("icmp4")},
		{"source_fqdn trailing dot", &flow.FlowFilter{SourceFqdn: []string{"www.a.example.com."}}, names("icmp4")},
		{"destination_fqdn case-insensitive", &flow.FlowFilter{DestinationFqdn: []string{"api.example.COM"}}, names("icmp6")},
		{"destination_fqdn any name", &flow.FlowFilter{DestinationFqdn: []string{"*"}}, names("syn", "icmp6")},
		{"destination_fqdn inner wildcard", &flow.FlowFilter{DestinationFqdn: []string{"catalog.*.svc.loupe"}}, names("syn")},
		{"destination_fqdn no match", &flow.FlowFilter{DestinationFqdn: []string{"*.loupe"}}, names()},

		{"protocol tcp", &flow.FlowFilter{Protocol: []string{"tcp"}}, names("syn", "synack", "drop", "http", "kafka", "host")},
		{"protocol udp", &flow.FlowFilter{Protocol: []string{"udp"}}, names("dns")},
		{"protocol icmp both", &flow.FlowFilter{Protocol: []string{"icmp"}}, names("icmp4", "icmp6")},
		{"protocol icmpv4", &flow.FlowFilter{Protocol: []string{"ICMPv4"}}, names("icmp4")},
		{"protocol icmpv6", &flow.FlowFilter{Protocol: []string{"icmpv6"}}, names("icmp6")},
		{"protocol sctp", &flow.FlowFilter{Protocol: []string{"sctp"}}, names("sctp")},
		{"protocol http", &flow.FlowFilter{Protocol: []string{"http"}}, names("http")},
		{"protocol dns", &flow.FlowFilter{Protocol: []string{"dns"}}, names("dns")},
		{"protocol kafka", &flow.FlowFilter{Protocol: []string{"kafka"}}, names("kafka")},
		{"protocol ORed", &flow.FlowFilter{Protocol: []string{"udp", "sctp"}}, names("dns", "sctp")},

		{"verdict", &flow.FlowFilter{Verdict: []flow.Verdict{flow.Verdict_DROPPED}}, names("drop")},
		{"verdict ORed", &flow.FlowFilter{Verdict: []flow.Verdict{flow.Verdict_AUDIT, flow.Verdict_REDIRECTED}}, names("host", "sctp")},
		{"verdict unknown", &flow.FlowFilter{Verdict: []flow.Verdict{flow.Verdict_VERDICT_UNKNOWN}}, names("empty")},

		{"event_type trace", &flow.FlowFilter{EventType: []string{"trace"}}, names("syn", "synack", "icmp6", "icmp4", "sctp")},
		{"event_type trace:to-endpoint", &flow.FlowFilter{EventType: []string{"trace:to-endpoint"}}, names("syn")},
		{"event_type trace:from-endpoint", &flow.FlowFilter{EventType: []string{"trace:from-endpoint"}}, names("synack")},
		{"event_type drop", &flow.FlowFilter{EventType: []string{"drop"}}, names("drop")},
		{"event_type policy-verdict", &flow.FlowFilter{EventType: []string{"policy-verdict"}}, names("host")},
		{"event_type l7", &flow.FlowFilter{EventType: []string{"l7"}}, names("dns", "http", "kafka")},
		{"event_type ORed", &flow.FlowFilter{EventType: []string{"drop", "trace:to-proxy"}}, names("drop", "sctp")},
		{"event_type upper case", &flow.FlowFilter{EventType: []string{"TRACE:TO-NETWORK"}}, names("icmp6")},

		{"traffic_direction egress", &flow.FlowFilter{TrafficDirection: []flow.TrafficDirection{flow.TrafficDirection_EGRESS}}, names("dns", "http", "icmp6", "icmp4", "kafka")},
		{"traffic_direction ingress", &flow.FlowFilter{TrafficDirection: []flow.TrafficDirection{flow.TrafficDirection_INGRESS}}, names("syn", "synack", "drop", "host")},

		{"drop_reason", &flow.FlowFilter{DropReason: []flow.DropReason{flow.DropReason_POLICY_DENIED}}, names("drop")},
		{"drop_reason no match", &flow.FlowFilter{DropReason: []flow.DropReason{flow.DropReason_CT_MAP_FULL}}, names()},

		{"node_name exact", &flow.FlowFilter{NodeName: []string{"node-1"}}, names("syn", "synack", "dns", "http", "icmp6")},
		{"node_name wildcard", &flow.FlowFilter{NodeName: []string{"node-*"}}, names("syn", "synack", "drop", "dns", "http", "icmp6", "icmp4", "sctp", "kafka", "host")},
		{"node_name suffix wildcard", &flow.FlowFilter{NodeName: []string{"*.lab"}}, names("kafka")},
		{"node_name is anchored", &flow.FlowFilter{NodeName: []string{"node"}}, names()},

		{"http_method case-insensitive", &flow.FlowFilter{HttpMethod: []string{"get"}}, names("http")},
		{"http_method no match", &flow.FlowFilter{HttpMethod: []string{"POST"}}, names()},

		{"http_path exact", &flow.FlowFilter{HttpPath: []string{"/api/items"}}, names("http")},
		{"http_path regexp", &flow.FlowFilter{HttpPath: []string{"/api/.*"}}, names("http")},
		{"http_path anchored prefix", &flow.FlowFilter{HttpPath: []string{"/api"}}, names()},
		{"http_path anchored suffix", &flow.FlowFilter{HttpPath: []string{"items"}}, names()},
		{"http_path alternation stays anchored", &flow.FlowFilter{HttpPath: []string{"/x|/api"}}, names()},

		{"http_status_code exact", &flow.FlowFilter{HttpStatusCode: []string{"503"}}, names("http")},
		{"http_status_code class", &flow.FlowFilter{HttpStatusCode: []string{"5+"}}, names("http")},
		{"http_status_code decade", &flow.FlowFilter{HttpStatusCode: []string{"50+"}}, names("http")},
		{"http_status_code other class", &flow.FlowFilter{HttpStatusCode: []string{"4+", "200"}}, names()},

		{"http_header", &flow.FlowFilter{HttpHeader: []string{"content-type:application/json"}}, names("http")},
		{"http_header spaces", &flow.FlowFilter{HttpHeader: []string{"Content-Type: application/json"}}, names("http")},
		{"http_header other value", &flow.FlowFilter{HttpHeader: []string{"content-type:text/html"}}, names()},

		{"dns_query substring", &flow.FlowFilter{DnsQuery: []string{"catalog"}}, names("dns")},
		{"dns_query without trailing dot", &flow.FlowFilter{DnsQuery: []string{`^catalog\.shop\.svc\.loupe$`}}, names("dns")},
		{"dns_query with trailing dot", &flow.FlowFilter{DnsQuery: []string{`\.loupe\.$`}}, names("dns")},
		{"dns_query no match", &flow.FlowFilter{DnsQuery: []string{`^db\.`}}, names()},

		{"tcp_flags SYN", &flow.FlowFilter{TcpFlags: []*flow.TCPFlags{{SYN: true}}}, names("syn", "synack", "drop")},
		{"tcp_flags SYN and ACK", &flow.FlowFilter{TcpFlags: []*flow.TCPFlags{{SYN: true, ACK: true}}}, names("synack")},
		{"tcp_flags FIN", &flow.FlowFilter{TcpFlags: []*flow.TCPFlags{{FIN: true}}}, names("host")},
		{"tcp_flags ACK", &flow.FlowFilter{TcpFlags: []*flow.TCPFlags{{ACK: true}}}, names("synack", "kafka", "host")},
		{"tcp_flags ORed", &flow.FlowFilter{TcpFlags: []*flow.TCPFlags{{RST: true}, {PSH: true}}}, names("kafka")},

		{"trace_id", &flow.FlowFilter{TraceId: []string{"4bf92f3577b34da6a3ce929d0e0e4736"}}, names("http")},
		{"trace_id upper case", &flow.FlowFilter{TraceId: []string{"4BF92F3577B34DA6A3CE929D0E0E4736"}}, names("http")},
		{"trace_id no match", &flow.FlowFilter{TraceId: []string{"00f067aa0ba902b700f067aa0ba902b7"}}, names()},

		{"reply true", &flow.FlowFilter{Reply: []bool{true}}, names("synack", "icmp4")},
		{"reply false", &flow.FlowFilter{Reply: []bool{false}}, names("syn", "drop", "dns", "http", "icmp6", "sctp", "kafka", "host", "empty")},
		{"reply either", &flow.FlowFilter{Reply: []bool{true, false}}, allFlows},

		{"fields ANDed", &flow.FlowFilter{SourceLabel: []string{"app=frontend"}, Protocol: []string{"udp"}}, names("dns")},
		{"fields ANDed no match", &flow.FlowFilter{Verdict: []flow.Verdict{flow.Verdict_DROPPED}, Protocol: []string{"udp"}}, names()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := passing(t, []*flow.FlowFilter{tt.filter}, nil)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("allow %v: flows passing (-want +got):\n%s", tt.filter, diff)
			}
			// The same filter as the only deny filter lets the complement pass.
			got = passing(t, nil, []*flow.FlowFilter{tt.filter})
			want := slices.DeleteFunc(slices.Clone(allFlows), func(n string) bool { return slices.Contains(tt.want, n) })
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("deny %v: flows passing (-want +got):\n%s", tt.filter, diff)
			}
		})
	}
}

func TestCompileAllowDeny(t *testing.T) {
	tests := []struct {
		name        string
		allow, deny []*flow.FlowFilter
		want        []string
	}{
		{"no filters", nil, nil, allFlows},
		{"nil filter matches all", []*flow.FlowFilter{nil}, nil, allFlows},
		{"empty deny denies all", nil, []*flow.FlowFilter{{}}, names()},
		{"allow filters ORed",
			[]*flow.FlowFilter{{Verdict: []flow.Verdict{flow.Verdict_DROPPED}}, {Protocol: []string{"kafka"}}}, nil,
			names("drop", "kafka")},
		{"either side, as the CLI's bare --label",
			[]*flow.FlowFilter{{SourceLabel: []string{"app=db"}}, {DestinationLabel: []string{"app=db"}}}, nil,
			names("drop", "sctp")},
		{"deny only", nil, []*flow.FlowFilter{{Protocol: []string{"tcp"}}}, names("dns", "icmp6", "icmp4", "sctp", "empty")},
		{"allow minus deny",
			[]*flow.FlowFilter{{SourceWorkload: []string{"frontend"}}},
			[]*flow.FlowFilter{{DestinationPort: []string{"8080"}}},
			names("drop", "dns", "icmp6", "sctp")},
		{"deny filters ORed",
			[]*flow.FlowFilter{{SourceWorkload: []string{"frontend"}}},
			[]*flow.FlowFilter{{DestinationPort: []string{"8080"}}, {Protocol: []string{"icmp"}}},
			names("drop", "dns", "sctp")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, passing(t, tt.allow, tt.deny)); diff != "" {
				t.Errorf("flows passing (-want +got):\n%s", diff)
			}
		})
	}
}

func TestCompileNilFlow(t *testing.T) {
	fn, err := Compile([]*flow.FlowFilter{{SourceIp: []string{"10.0.0.0/8"}, HttpPath: []string{"/"}}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if fn(nil) {
		t.Error("nil flow passed an IP filter")
	}
}

func TestCompileCopiesValues(t *testing.T) {
	ff := &flow.FlowFilter{SourceNamespace: []string{"shop"}, Verdict: []flow.Verdict{flow.Verdict_DROPPED}}
	fn, err := Compile([]*flow.FlowFilter{ff}, nil)
	if err != nil {
		t.Fatal(err)
	}
	ff.SourceNamespace[0] = "other"
	ff.Verdict[0] = flow.Verdict_FORWARDED
	if !fn(testFlows["drop"]) {
		t.Error("changing the request after Compile changed the filter")
	}
}

func TestCompileErrors(t *testing.T) {
	tests := []struct {
		name        string
		allow, deny []*flow.FlowFilter
		want        string
	}{
		{"ip", []*flow.FlowFilter{{DestinationIp: []string{"10.0.0.300"}}}, nil,
			`allow[0]: destination_ip "10.0.0.300": not an IP address or CIDR`},
		{"cidr length", []*flow.FlowFilter{{SourceIp: []string{"10.0.0.0/33"}}}, nil,
			`allow[0]: source_ip "10.0.0.0/33": bad CIDR: prefix length "33" out of range 0-32`},
		{"cidr v6 length", []*flow.FlowFilter{{SourceIp: []string{"fd00::/129"}}}, nil,
			`allow[0]: source_ip "fd00::/129": bad CIDR: prefix length "129" out of range 0-128`},
		{"cidr address", []*flow.FlowFilter{{SourceIp: []string{"10.0.0/8"}}}, nil,
			`allow[0]: source_ip "10.0.0/8": bad CIDR: "10.0.0" is not an IP address`},
		{"selector", []*flow.FlowFilter{{SourceLabel: []string{"app in (a"}}}, nil,
			`allow[0]: source_label "app in (a": bad label selector: "app in (a": want in (v1,v2)`},
		{"empty selector", []*flow.FlowFilter{{DestinationLabel: []string{" "}}}, nil,
			`allow[0]: destination_label " ": empty label selector`},
		{"namespace", []*flow.FlowFilter{{SourceNamespace: []string{""}}}, nil,
			`allow[0]: source_namespace "": empty namespace`},
		{"workload", []*flow.FlowFilter{{DestinationWorkload: []string{"a/b/c"}}}, nil,
			`allow[0]: destination_workload "a/b/c": want a workload name or namespace/name`},
		{"port name", []*flow.FlowFilter{{DestinationPort: []string{"http"}}}, nil,
			`allow[0]: destination_port "http": not a port number (want 0-65535)`},
		{"port range", []*flow.FlowFilter{{SourcePort: []string{"65536"}}}, nil,
			`allow[0]: source_port "65536": not a port number (want 0-65535)`},
		{"fqdn", []*flow.FlowFilter{{SourceFqdn: []string{"exa mple.com"}}}, nil,
			`allow[0]: source_fqdn "exa mple.com": want a DNS name with optional * wildcards, e.g. *.example.com`},
		{"protocol", []*flow.FlowFilter{{Protocol: []string{"gre"}}}, nil,
			`allow[0]: protocol "gre": want one of tcp, udp, sctp, icmp, icmpv4, icmpv6, http, dns, kafka`},
		{"verdict", []*flow.FlowFilter{{Verdict: []flow.Verdict{42}}}, nil,
			`allow[0]: verdict "42": unknown verdict (want FORWARDED, DROPPED, AUDIT, REDIRECTED or ERROR)`},
		{"event type", []*flow.FlowFilter{{EventType: []string{"flows"}}}, nil,
			`allow[0]: event_type "flows": ` + eventTypeWant},
		{"event subtype of drop", []*flow.FlowFilter{{EventType: []string{"drop:to-endpoint"}}}, nil,
			`allow[0]: event_type "drop:to-endpoint": ` + eventTypeWant},
		{"observation point", []*flow.FlowFilter{{EventType: []string{"trace:nowhere"}}}, nil,
			`allow[0]: event_type "trace:nowhere": unknown observation point "nowhere": ` + eventTypeWant},
		{"direction", []*flow.FlowFilter{{TrafficDirection: []flow.TrafficDirection{7}}}, nil,
			`allow[0]: traffic_direction "7": unknown traffic direction (want INGRESS or EGRESS)`},
		{"drop reason", []*flow.FlowFilter{{DropReason: []flow.DropReason{1}}}, nil,
			`allow[0]: drop_reason "1": unknown drop reason`},
		{"node name", []*flow.FlowFilter{{NodeName: []string{"node 1"}}}, nil,
			`allow[0]: node_name "node 1": want a node name with optional * wildcards, e.g. node-*`},
		{"http method", []*flow.FlowFilter{{HttpMethod: []string{"GE T"}}}, nil,
			`allow[0]: http_method "GE T": want an HTTP method, e.g. GET`},
		{"http path", []*flow.FlowFilter{{HttpPath: []string{"(/api"}}}, nil,
			"allow[0]: http_path \"(/api\": not an RE2 expression: missing closing ): `(/api`"},
		{"http path escaping anchors", []*flow.FlowFilter{{HttpPath: []string{"a)|(b"}}}, nil,
			"allow[0]: http_path \"a)|(b\": not an RE2 expression: unexpected ): `a)|(b`"},
		{"http status digit", []*flow.FlowFilter{{HttpStatusCode: []string{"5"}}}, nil,
			`allow[0]: http_status_code "5": want a status code (200) or a prefix with + (5+, 40+)`},
		{"http status range", []*flow.FlowFilter{{HttpStatusCode: []string{"600"}}}, nil,
			`allow[0]: http_status_code "600": want a status code (200) or a prefix with + (5+, 40+)`},
		{"http status plus plus", []*flow.FlowFilter{{HttpStatusCode: []string{"5++"}}}, nil,
			`allow[0]: http_status_code "5++": want a status code (200) or a prefix with + (5+, 40+)`},
		{"http header", []*flow.FlowFilter{{HttpHeader: []string{"content-type"}}}, nil,
			`allow[0]: http_header "content-type": want key:value, e.g. content-type:application/json`},
		{"dns query", []*flow.FlowFilter{{DnsQuery: []string{"[a-"}}}, nil,
			"allow[0]: dns_query \"[a-\": not an RE2 expression: missing closing ]: `[a-`"},
		{"dns query empty", []*flow.FlowFilter{{DnsQuery: []string{""}}}, nil,
			`allow[0]: dns_query "": empty regular expression`},
		{"tcp flags", []*flow.FlowFilter{{TcpFlags: []*flow.TCPFlags{{}}}}, nil,
			`allow[0]: tcp_flags "{}": set at least one flag (FIN, SYN, RST, PSH, ACK, URG, ECE, CWR)`},
		{"trace id", []*flow.FlowFilter{{TraceId: []string{"abc"}}}, nil,
			`allow[0]: trace_id "abc": want a W3C trace id of 32 hex digits`},
		{"deny index", nil, []*flow.FlowFilter{{}, {SourcePort: []string{"-1"}}},
			`deny[1]: source_port "-1": not a port number (want 0-65535)`},
		{"every error, in order",
			[]*flow.FlowFilter{{DestinationIp: []string{"x"}, SourceIp: []string{"y"}}},
			[]*flow.FlowFilter{{Protocol: []string{"gre", "tcp", "ip"}}},
			"allow[0]: source_ip \"y\": not an IP address or CIDR\n" +
				"allow[0]: destination_ip \"x\": not an IP address or CIDR\n" +
				"deny[0]: protocol \"gre\": want one of tcp, udp, sctp, icmp, icmpv4, icmpv6, http, dns, kafka\n" +
				"deny[0]: protocol \"ip\": want one of tcp, udp, sctp, icmp, icmpv4, icmpv6, http, dns, kafka"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fn, err := Compile(tt.allow, tt.deny)
			if err == nil {
				t.Fatal("Compile succeeded, want an error")
			}
			if fn != nil {
				t.Error("Compile returned a function with an error")
			}
			if diff := cmp.Diff(tt.want, err.Error()); diff != "" {
				t.Errorf("error (-want +got):\n%s", diff)
			}
			if !errors.Is(err, ErrInvalid) {
				t.Errorf("errors.Is(%v, ErrInvalid) = false", err)
			}
			var fe *Error
			if !errors.As(err, &fe) || !strings.HasPrefix(tt.want, fe.Error()) {
				t.Errorf("errors.As: got %v, want the first error of %q", fe, tt.want)
			}
		})
	}
}

func TestTCPFlagsString(t *testing.T) {
	got := TCPFlagsString(&flow.TCPFlags{FIN: true, ACK: true, SYN: true, CWR: true})
	if diff := cmp.Diff("SYN,ACK,FIN,CWR", got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if got := TCPFlagsString(nil); got != "" {
		t.Errorf("TCPFlagsString(nil) = %q, want empty", got)
	}
}

func TestNodeNameNotUTF8IsRefused(t *testing.T) {
	if _, err := Compile([]*flow.FlowFilter{{NodeName: []string{"node-\xff"}}}, nil); err == nil {
		t.Fatal("a node name that is not UTF-8 was accepted")
	}
}
