package main

import (
	"bytes"
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/spf13/cobra"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/testing/protocmp"

	agentpb "github.com/loupe-dev/loupe/api/agent"
	"github.com/loupe-dev/loupe/api/observer"
)

var (
	testStatus = &observer.ServerStatusResponse{
		NumFlows: 1024, MaxFlows: 4096, SeenFlows: 56789, FlowsRate: 12.345, UptimeNs: 3723e9,
		NumLostEvents: 3, DecodeErrors: 1, Version: "v0.1.0", NodeName: "node-1", MonitorAggregation: "medium",
	}
	testEndpoints = &agentpb.ListEndpointsResponse{Endpoints: []*agentpb.Endpoint{
		{Id: 12, Namespace: "shop", Workload: "catalog", Labels: map[string]string{"app": "catalog", "tier": "api"},
			Identity: 1002, InterfaceName: "lxc-catalog", Addresses: []string{"fd00::20", "10.0.1.20"}, State: "ready"},
		{Id: 11, Namespace: "shop", Workload: "frontend", Labels: map[string]string{"app": "frontend"},
			Identity: 1001, InterfaceName: "lxc-frontend", Addresses: []string{"10.0.1.10", "fd00::10"}, State: "ready"},
		{Id: 13, Namespace: "shop", Workload: "db", Identity: 1003, InterfaceName: "lxc-db", State: "attaching: tcx not supported"},
	}}
	testIdentities = &agentpb.ListIdentitiesResponse{Identities: []*agentpb.Identity{
		{Id: 1001, Labels: []string{"app=frontend", "loupe.namespace=shop"}, Endpoints: 1},
		{Id: 2, Labels: []string{"reserved:world"}, Reserved: true},
		{Id: 1, Labels: []string{"reserved:host"}, Reserved: true},
	}}
)

// runQuery executes one status or list command against the fakes and
// returns its output.
func runQuery(t *testing.T, cmd *cobra.Command, args ...string) string {
	t.Helper()
	server := startObserveFakes(t,
		&observeFakeObserver{status: testStatus},
		&observeFakeAgent{endpoints: testEndpoints, identities: testIdentities})
	var out bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetArgs(append(args, "--server", server))
	if err := cmd.ExecuteContext(context.Background()); err != nil {
		t.Fatalf("%s %q: %v", cmd.Name(), args, err)
	}
	return out.String()
}

func TestQueryCommandsTable(t *testing.T) {
	tests := []struct {
		name string
		cmd  *cobra.Command
		args []string
		want string
	}{
		{"status", newStatusCmd(), nil, "" +
			"Node:                 node-1\n" +
			"Version:              v0.1.0\n" +
			"Uptime:               1h2m3s\n" +
			"Flows (held/max):     1024/4096 (25.00%)\n" +
			"Flows seen:           56789\n" +
			"Flow rate:            12.35 flows/s\n" +
			"Lost events:          3\n" +
			"Decode errors:        1\n" +
			"Monitor aggregation:  medium\n"},
		{"endpoint list", newEndpointCmd(), []string{"list"}, "" +
			"ID   NAMESPACE   WORKLOAD   IDENTITY   INTERFACE      IPv4        IPv6       LABELS                 POLICY (INGRESS/EGRESS)   REVISION   STATE\n" +
			"11   shop        frontend   1001       lxc-frontend   10.0.1.10   fd00::10   app=frontend           off/off                   0          ready\n" +
			"12   shop        catalog    1002       lxc-catalog    10.0.1.20   fd00::20   app=catalog,tier=api   off/off                   0          ready\n" +
			"13   shop        db         1003       lxc-db         -           -          -                      off/off                   0          attaching: tcx not supported\n"},
		{"identity list", newIdentityCmd(), []string{"list"}, "" +
			"ID     LABELS                              ENDPOINTS   RESERVED\n" +
			"1      reserved:host                       0           yes\n" +
			"2      reserved:world                      0           yes\n" +
			"1001   app=frontend,loupe.namespace=shop   1           no\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, runQuery(t, tt.cmd, tt.args...)); diff != "" {
				t.Errorf("output (-want +got):\n%s", diff)
			}
		})
	}
}

func TestQueryCommandsJSON(t *testing.T) {
	tests := []struct {
		name string
		cmd  *cobra.Command
		args []string
		want proto.Message
	}{
		{"status", newStatusCmd(), []string{"-o", "json"}, testStatus},
		{"endpoint list", newEndpointCmd(), []string{"list", "-o", "json"}, testEndpoints},
		{"identity list", newIdentityCmd(), []string{"list", "--output", "json"}, testIdentities},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.want.ProtoReflect().New().Interface()
			if err := protojson.Unmarshal([]byte(runQuery(t, tt.cmd, tt.args...)), got); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got, protocmp.Transform()); diff != "" {
				t.Errorf("decoded output (-want +got):\n%s", diff)
			}
		})
	}
}
