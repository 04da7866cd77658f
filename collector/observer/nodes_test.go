package observer

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/testing/protocmp"

	"github.com/loupe-dev/loupe/api/flow"
	"github.com/loupe-dev/loupe/api/observer"
	"github.com/loupe-dev/loupe/collector/ring"
)

func TestServerStatusReportsOldestFlowTime(t *testing.T) {
	s := NewServer(source{ring.New(4)}, "node", "v", "medium")
	st, _ := s.ServerStatus(context.Background(), nil)
	if st.GetOldestFlowTime() != nil {
		t.Fatalf("empty ring: oldest flow time %v, want unset", st.GetOldestFlowTime())
	}
	c, _ := serve(t, 4, 10) // flows 7..10 remain
	st, err := c.ServerStatus(context.Background(), &observer.ServerStatusRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := st.GetOldestFlowTime().AsTime(), ts(7).AsTime(); !got.Equal(want) {
		t.Fatalf("oldest flow time %v, want %v", got, want)
	}
}

func TestGetNodesIsTheAgentItself(t *testing.T) {
	s := NewServer(source{ring.New(4)}, "node-a", "v1", "medium").WithAddress("127.0.0.1:4244", true)
	got, err := s.GetNodes(context.Background(), &observer.GetNodesRequest{})
	if err != nil {
		t.Fatal(err)
	}
	want := &observer.GetNodesResponse{Nodes: []*observer.Node{{
		Name: "node-a", Address: "127.0.0.1:4244", State: observer.NodeState_NODE_CONNECTED,
		Version: "v1", MaxFlows: 4, SeenFlows: 10, Tls: true,
	}}}
	if diff := cmp.Diff(got, want, protocmp.Transform(), protocmp.IgnoreFields(&observer.Node{}, "uptime_ns")); diff != "" {
		t.Fatalf("GetNodes (-got +want):\n%s", diff)
	}
}

func TestGetNamespacesFromEndpointsAndFlows(t *testing.T) {
	r := ring.New(8)
	r.Write(ring.Entry{Flow: &flow.Flow{
		Source:      &flow.Endpoint{Namespace: "shop"},
		Destination: &flow.Endpoint{Namespace: "infra"},
	}})
	r.Write(ring.Entry{Flow: &flow.Flow{Source: &flow.Endpoint{Namespace: "shop"}}})
	r.Write(ring.Entry{Lost: &flow.LostEvent{}})
	s := NewServer(source{r}, "node-a", "v", "medium").WithEndpointNamespaces(func() []string { return []string{"idle", "shop"} })
	got, err := s.GetNamespaces(context.Background(), &observer.GetNamespacesRequest{})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, ns := range got.GetNamespaces() {
		names = append(names, ns.GetName())
		if len(ns.GetNodes()) != 1 || ns.GetNodes()[0] != "node-a" {
			t.Errorf("%s: nodes %v, want [node-a]", ns.GetName(), ns.GetNodes())
		}
	}
	if diff := cmp.Diff(names, []string{"idle", "infra", "shop"}); diff != "" {
		t.Fatalf("namespaces (-got +want):\n%s", diff)
	}
}
