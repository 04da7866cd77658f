package main

import (
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/spf13/pflag"
	"google.golang.org/protobuf/testing/protocmp"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/loupe-dev/loupe/api/flow"
	"github.com/loupe-dev/loupe/api/observer"
)

// observeNow is the fixed "now" of request tests.
var observeNow = time.Date(2026, time.March, 7, 12, 0, 0, 0, time.UTC)

// requestFor parses args with the real observe flags and builds the request.
func requestFor(t *testing.T, args ...string) (*observer.GetFlowsRequest, error) {
	t.Helper()
	fs := pflag.NewFlagSet("observe", pflag.ContinueOnError)
	o := &observeOptions{}
	addObserveFlags(fs, o)
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	return buildRequest(o, observeNow)
}

func TestBuildRequest(t *testing.T) {
	ago := func(d time.Duration) *timestamppb.Timestamp { return timestamppb.New(observeNow.Add(-d)) }
	tests := []struct {
		name string
		args []string
		want *observer.GetFlowsRequest
	}{
		{"bare observe prints the last 20", nil, &observer.GetFlowsRequest{Number: 20}},
		{"last", []string{"--last", "5"}, &observer.GetFlowsRequest{Number: 5}},
		{"first", []string{"--first", "7"}, &observer.GetFlowsRequest{Number: 7, First: true}},
		{"follow only new flows", []string{"-f"}, &observer.GetFlowsRequest{Follow: true}},
		{"last then follow", []string{"--last", "10", "--follow"}, &observer.GetFlowsRequest{Number: 10, Follow: true}},
		{"all", []string{"--all"}, &observer.GetFlowsRequest{}},
		{"since relative", []string{"--since", "2h"}, &observer.GetFlowsRequest{Since: ago(2 * time.Hour)}},
		{"since days and until", []string{"--since", "1d12h", "--until", "30m"},
			&observer.GetFlowsRequest{Since: ago(36 * time.Hour), Until: ago(30 * time.Minute)}},
		{"since absolute RFC 3339", []string{"--since", "2026-03-07T09:00:00Z", "--first", "3"},
			&observer.GetFlowsRequest{Number: 3, First: true, Since: timestamppb.New(time.Date(2026, 3, 7, 9, 0, 0, 0, time.UTC))}},
		{"since absolute local", []string{"--since", "2026-03-07 09:00:05"},
			&observer.GetFlowsRequest{Since: timestamppb.New(time.Date(2026, 3, 7, 9, 0, 5, 0, time.Local))}},
		{"until only", []string{"--until", "now"}, &observer.GetFlowsRequest{Until: timestamppb.New(observeNow)}},

		{"repeated flag ORs values", []string{"--from-ip", "10.0.0.1", "--from-ip", "fd00::/64"},
			&observer.GetFlowsRequest{Number: 20, Allow: []*flow.FlowFilter{{SourceIp: []string{"10.0.0.1", "fd00::/64"}}}}},
		{"different flags AND", []string{"--from-ip", "10.0.0.1", "--to-port", "80", "--protocol", "tcp"},
			&observer.GetFlowsRequest{Number: 20, Allow: []*flow.FlowFilter{{
				SourceIp: []string{"10.0.0.1"}, DestinationPort: []string{"80"}, Protocol: []string{"tcp"}}}}},
		{"bare label is two filters", []string{"--label", "app=web"},
			&observer.GetFlowsRequest{Number: 20, Allow: []*flow.FlowFilter{
				{SourceLabel: []string{"app=web"}}, {DestinationLabel: []string{"app=web"}}}}},
		{"bare flags pair on one side", []string{"--ip", "10.0.0.1", "--port", "80", "--verdict", "DROPPED"},
			&observer.GetFlowsRequest{Number: 20, Allow: []*flow.FlowFilter{
				{SourceIp: []string{"10.0.0.1"}, SourcePort: []string{"80"}, Verdict: []flow.Verdict{flow.Verdict_DROPPED}},
				{DestinationIp: []string{"10.0.0.1"}, DestinationPort: []string{"80"}, Verdict: []flow.Verdict{flow.Verdict_DROPPED}}}}},
		{"bare and directional of different kinds", []string{"--namespace", "shop", "--to-workload", "shop/db"},
			&observer.GetFlowsRequest{Number: 20, Allow: []*flow.FlowFilter{
				{SourceNamespace: []string{"shop"}, DestinationWorkload: []string{"shop/db"}},
				{DestinationNamespace: []string{"shop"}, DestinationWorkload: []string{"shop/db"}}}}},
		{"not goes to deny", []string{"--not", "--to-port", "53"},
			&observer.GetFlowsRequest{Number: 20, Deny: []*flow.FlowFilter{{DestinationPort: []string{"53"}}}}},
		{"not applies to the next flag only", []string{"--not", "--to-port", "53", "--from-namespace", "shop"},
			&observer.GetFlowsRequest{Number: 20,
				Allow: []*flow.FlowFilter{{SourceNamespace: []string{"shop"}}},
				Deny:  []*flow.FlowFilter{{DestinationPort: []string{"53"}}}}},
		{"negated flags form one deny filter", []string{"--from-namespace", "shop", "--not", "--to-ip", "10.0.0.0/8", "--not", "--protocol", "udp"},
			&observer.GetFlowsRequest{Number: 20,
				Allow: []*flow.FlowFilter{{SourceNamespace: []string{"shop"}}},
				Deny:  []*flow.FlowFilter{{DestinationIp: []string{"10.0.0.0/8"}, Protocol: []string{"udp"}}}}},
		{"not bare is two deny filters", []string{"--not", "--namespace", "kube-system"},
			&observer.GetFlowsRequest{Number: 20, Deny: []*flow.FlowFilter{
				{SourceNamespace: []string{"kube-system"}}, {DestinationNamespace: []string{"kube-system"}}}}},
		{"enums in any case", []string{"--verdict", "dropped", "--verdict", "FORWARDED", "--traffic-direction", "ingress", "--drop-reason", "policy-denied"},
			&observer.GetFlowsRequest{Number: 20, Allow: []*flow.FlowFilter{{
				Verdict:          []flow.Verdict{flow.Verdict_DROPPED, flow.Verdict_FORWARDED},
				TrafficDirection: []flow.TrafficDirection{flow.TrafficDirection_INGRESS},
				DropReason:       []flow.DropReason{flow.DropReason_POLICY_DENIED}}}}},
		{"identities by name and number", []string{"--from-identity", "world", "--to-identity", "1002"},
			&observer.GetFlowsRequest{Number: 20, Allow: []*flow.FlowFilter{{SourceIdentity: []uint32{2}, DestinationIdentity: []uint32{1002}}}}},
		{"tcp flags", []string{"--tcp-flags", "SYN,ack", "--tcp-flags", "FIN"},
			&observer.GetFlowsRequest{Number: 20, Allow: []*flow.FlowFilter{{TcpFlags: []*flow.TCPFlags{{SYN: true, ACK: true}, {FIN: true}}}}}},
		{"l7 and the rest", []string{
			"--type", "trace:to-endpoint", "--type", "l7", "--http-status", "5+", "--http-method", "get",
			"--http-path", "/api/.*", "--http-header", "x-user:alice", "--dns-query", `\.shop\.`,
			"--trace-id", "4bf92f3577b34da6a3ce929d0e0e4736", "--node-name", "node-*", "--from-fqdn", "*.example.com", "--reply"},
			&observer.GetFlowsRequest{Number: 20, Allow: []*flow.FlowFilter{{
				EventType: []string{"trace:to-endpoint", "l7"}, HttpStatusCode: []string{"5+"}, HttpMethod: []string{"get"},
				HttpPath: []string{"/api/.*"}, HttpHeader: []string{"x-user:alice"}, DnsQuery: []string{`\.shop\.`},
				TraceId: []string{"4bf92f3577b34da6a3ce929d0e0e4736"}, NodeName: []string{"node-*"},
				SourceFqdn: []string{"*.example.com"}, Reply: []bool{true}}}}},
		{"reply false", []string{"--reply=false"},
			&observer.GetFlowsRequest{Number: 20, Allow: []*flow.FlowFilter{{Reply: []bool{false}}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := requestFor(t, tt.args...)
			if err != nil {
				t.Fatalf("requestFor(%q): %v", tt.args, err)
			}
			if diff := cmp.Diff(tt.want, got, protocmp.Transform()); diff != "" {
				t.Errorf("request for %q (-want +got):\n%s", tt.args, diff)
			}
		})
	}
}

// TestBuildRequestErrors checks that every bad value is a usage error that
// names the flag and the value.
func TestBuildRequestErrors(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"--to-ip", "10.0.0.0/33"}, `--to-ip "10.0.0.0/33": bad CIDR: prefix length "33" out of range 0-32`},
		{[]string{"--ip", "10.0.0.300"}, `--ip "10.0.0.300": not an IP address or CIDR`},
		{[]string{"--from-label", "app in (a"}, `--from-label "app in (a": bad label selector: "app in (a": want in (v1,v2)`},
		{[]string{"--to-port", "http"}, `--to-port "http": not a port number (want 0-65535)`},
		{[]string{"--verdict", "ALLOWED"}, `--verdict "ALLOWED": want one of FORWARDED, DROPPED, AUDIT, REDIRECTED, ERROR`},
		{[]string{"--traffic-direction", "up"}, `--traffic-direction "up": want one of INGRESS, EGRESS`},
		{[]string{"--identity", "me"}, `--identity "me": want a numeric identity, host or world`},
		{[]string{"--tcp-flags", "SYN,NS"}, `--tcp-flags "SYN,NS": unknown flag "NS": want SYN, ACK, FIN, RST, PSH, URG, ECE or CWR, comma-separated`},
		{[]string{"--type", "trace:nowhere"}, `--type "trace:nowhere": unknown observation point "nowhere": want trace, drop, policy-verdict or l7, or trace:<observation point> (from-endpoint, to-endpoint, to-proxy, from-proxy, to-stack, from-host, to-host, from-network, to-network)`},
		{[]string{"--http-status", "5"}, `--http-status "5": want a status code (200) or a prefix with + (5+, 40+)`},
		{[]string{"--http-path", "(/api"}, "--http-path \"(/api\": not an RE2 expression: missing closing ): `(/api`"},
		{[]string{"--not", "--from-fqdn", "a b"}, `--from-fqdn "a b": want a DNS name with optional * wildcards, e.g. *.example.com`},
		{[]string{"--since", "yesterdayish"}, `--since "yesterdayish": want a duration before now (30s, 5m, 2h, 1d, 1d12h), "now", or a time (2006-01-02T15:04:05Z, "2006-01-02 15:04:05", 2006-01-02)`},
		{[]string{"--until", "-5m"}, `--until "-5m": want a duration before now (30s, 5m, 2h, 1d, 1d12h), "now", or a time (2006-01-02T15:04:05Z, "2006-01-02 15:04:05", 2006-01-02): a negative duration is in the future`},
		{[]string{"--since", "1h", "--until", "2h"}, `--since "1h" is after --until "2h"`},
		{[]string{"--first", "5", "--last", "5"}, `--first and --last cannot be combined`},
		{[]string{"--first", "5", "-f"}, `--first and --follow cannot be combined: --first reads the oldest flows`},
		{[]string{"--all", "--last", "5"}, `--all cannot be combined with --first or --last`},
		{[]string{"-f", "--until", "1m"}, `--follow and --until cannot be combined: a window that ends cannot be followed`},
		{[]string{"--label", "a=b", "--from-label", "c=d"}, `--label and --from-label cannot be combined: --label already matches either side`},
		{[]string{"--to-ip", "10.0.0.1", "--ip", "10.0.0.2"}, `--ip and --to-ip cannot be combined: --ip already matches either side`},
		{[]string{"--to-port", "80", "--not"}, `trailing --not: --not negates the filter flag that follows it`},
		{[]string{"--not", "--not", "--to-port", "80"}, `--not --not: --not negates the one filter flag that follows it`},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			_, err := requestFor(t, tt.args...)
			if err == nil {
				t.Fatalf("requestFor(%q) succeeded, want an error", tt.args)
			}
			var ue *usageError
			if !errors.As(err, &ue) {
				t.Errorf("requestFor(%q) = %v, not a usage error", tt.args, err)
			}
			if diff := cmp.Diff(tt.want, err.Error()); diff != "" {
				t.Errorf("error for %q (-want +got):\n%s", tt.args, diff)
			}
		})
	}
}

// TestBareFlagConflictsPerList: a bare flag and its directional form may
// meet across allow and deny, where they build different filters.
func TestBareFlagConflictsPerList(t *testing.T) {
	got, err := requestFor(t, "--label", "app=web", "--not", "--from-label", "tier=db")
	if err != nil {
		t.Fatal(err)
	}
	want := &observer.GetFlowsRequest{Number: 20,
		Allow: []*flow.FlowFilter{{SourceLabel: []string{"app=web"}}, {DestinationLabel: []string{"app=web"}}},
		Deny:  []*flow.FlowFilter{{SourceLabel: []string{"tier=db"}}},
	}
	if diff := cmp.Diff(want, got, protocmp.Transform()); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}
