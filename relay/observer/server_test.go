package observer

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/loupe-dev/loupe/api/flow"
	observerpb "github.com/loupe-dev/loupe/api/observer"
	"github.com/loupe-dev/loupe/relay/internal/relaytest"
	"github.com/loupe-dev/loupe/relay/merge"
	"github.com/loupe-dev/loupe/relay/peers"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

var t0 = relaytest.T0

type node = relaytest.Node

func startNode(t *testing.T, name string, capacity int) *node {
	return relaytest.StartNode(t, name, capacity)
}

type relay struct {
	client observerpb.ObserverClient
	peers  *peers.Manager
}

// startRelay serves the relay for nodes, with history if given, once every
// node is connected.
func startRelay(t *testing.T, h History, nodes ...*node) *relay {
	t.Helper()
	m := relaytest.Manager(t, nodes...)
	w := merge.DefaultConfig()
	w.MaxDelay = 20 * time.Millisecond
	srv := grpc.NewServer()
	observerpb.RegisterObserverServer(srv, NewServer(Config{Window: w, History: h, Version: "relay"}, m))
	sock := filepath.Join(t.TempDir(), "relay.sock")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { defer close(done); srv.Serve(l) }()
	conn, err := grpc.NewClient("unix://"+sock, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		conn.Close()
		srv.Stop()
		<-done
	})
	return &relay{client: observerpb.NewObserverClient(conn), peers: m}
}

func (r *relay) waitState(t *testing.T, want observerpb.NodeState, nodes ...*node) {
	t.Helper()
	relaytest.WaitState(t, r.peers, want, nodes...)
}

// show renders a stream: "a3" for node a's flow at second 3, "lost:N",
// "CONNECTED:a,b", "UNAVAILABLE:b".
func show(rs []*observerpb.GetFlowsResponse) string {
	var parts []string
	for _, r := range rs {
		switch {
		case r.GetFlow() != nil:
			parts = append(parts, fmt.Sprintf("%s%d", r.GetNodeName(), r.GetFlow().GetId()))
		case r.GetLostEvents() != nil:
			parts = append(parts, fmt.Sprintf("lost:%d", r.GetLostEvents().GetNumEventsLost()))
		case r.GetNodeStatus() != nil:
			st := r.GetNodeStatus()
			parts = append(parts, strings.TrimPrefix(st.GetStateChange().String(), "NODE_")+":"+strings.Join(st.GetNodeNames(), ","))
		}
	}
	return strings.Join(parts, " ")
}

func collect(t *testing.T, c observerpb.ObserverClient, req *observerpb.GetFlowsRequest) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	stream, err := c.GetFlows(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	var out []*observerpb.GetFlowsResponse
	for {
		r, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			return show(out)
		}
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, r)
	}
}

func ts(sec int) *timestamppb.Timestamp {
	return timestamppb.New(t0.Add(time.Duration(sec) * time.Second))
}

func TestGetFlowsMergesNodes(t *testing.T) {
	a, b := startNode(t, "a", 64), startNode(t, "b", 64)
	a.Write(1, 3, 5, 7, 9)
	b.Write(2, 4, 6, 8, 10)
	r := startRelay(t, nil, a, b)
	cases := []struct {
		name string
		req  *observerpb.GetFlowsRequest
		want string
	}{
		{"all in time order", &observerpb.GetFlowsRequest{}, "CONNECTED:a,b a1 b2 a3 b4 a5 b6 a7 b8 a9 b10"},
		{"last 3 of the cluster", &observerpb.GetFlowsRequest{Number: 3}, "CONNECTED:a,b b8 a9 b10"},
		{"first 3 of the cluster", &observerpb.GetFlowsRequest{Number: 3, First: true}, "CONNECTED:a,b a1 b2 a3"},
		{"window", &observerpb.GetFlowsRequest{Since: ts(4), Until: ts(7)}, "CONNECTED:a,b b4 a5 b6 a7"},
		{"filters reach the nodes", &observerpb.GetFlowsRequest{Number: 2, Allow: []*flow.FlowFilter{{NodeName: []string{"a"}}}}, "CONNECTED:a,b a7 a9"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := collect(t, r.client, tc.req); got != tc.want {
				t.Fatalf("got  %s\nwant %s", got, tc.want)
			}
		})
	}
}

func TestGetFlowsRefusesBadFilters(t *testing.T) {
	r := startRelay(t, nil)
	stream, err := r.client.GetFlows(context.Background(), &observerpb.GetFlowsRequest{Allow: []*flow.FlowFilter{{SourceIp: []string{"300.0.0.1"}}}})
	if err == nil {
		_, err = stream.Recv()
	}
	if status.Code(err) != codes.InvalidArgument {
		t.Fatalf("got %v, want InvalidArgument", err)
	}
}

// TestFollowKeepsStreamingWhenANodeFails: the last flows, then new ones in
// order; a node that stops is reported in-band and the other goes on.
func TestFollowKeepsStreamingWhenANodeFails(t *testing.T) {
	a, b := startNode(t, "a", 64), startNode(t, "b", 64)
	a.Write(1)
	b.Write(2)
	r := startRelay(t, nil, a, b)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stream, err := r.client.GetFlows(ctx, &observerpb.GetFlowsRequest{Number: 1, Follow: true})
	if err != nil {
		t.Fatal(err)
	}
	next := func(n int) string {
		t.Helper()
		var out []*observerpb.GetFlowsResponse
		for len(out) < n {
			resp, err := stream.Recv()
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, resp)
		}
		return show(out)
	}
	if got := next(2); got != "CONNECTED:a,b b2" {
		t.Fatalf("start: %s", got)
	}
	a.Write(3)
	b.Write(4)
	a.Write(5)
	if got := next(3); got != "a3 b4 a5" {
		t.Fatalf("followed: %s", got)
	}
	b.Stop()
	if got := next(1); got != "UNAVAILABLE:b" {
		t.Fatalf("after b stopped: %s", got)
	}
	a.Write(6)
	if got := next(1); got != "a6" {
		t.Fatalf("a after b stopped: %s", got)
	}
	b.Serve(t)
	b.Write(7)
	if got := next(2); got != "CONNECTED:b b7" {
		t.Fatalf("b back: %s", got)
	}
}

type fakeHistory struct {
	flows []int // seconds of stored flows of node h
	asked []string
}

func (h *fakeHistory) Flows(_ context.Context, req *observerpb.GetFlowsRequest, until time.Time, send func(*flow.Flow) error) error {
	ask := fmt.Sprintf("since=%d until=%d n=%d first=%v",
		int(req.GetSince().AsTime().Sub(t0)/time.Second), int(until.Sub(t0)/time.Second), req.GetNumber(), req.GetFirst())
	if req.GetFollow() || req.GetUntil() != nil {
		ask += fmt.Sprintf(" follow=%v", req.GetFollow())
	}
	h.asked = append(h.asked, ask)
	var in []int
	for _, s := range h.flows {
		at := t0.Add(time.Duration(s) * time.Second)
		if u := req.GetUntil(); u != nil && at.After(u.AsTime()) {
			continue // req.Until is inclusive, as in the live ring
		}
		if !at.Before(req.GetSince().AsTime()) && at.Before(until) {
			in = append(in, s)
		}
	}
	if n := int(req.GetNumber()); n > 0 && n < len(in) {
		if req.GetFirst() {
			in = in[:n]
		} else {
			in = in[len(in)-n:]
		}
	}
	for _, s := range in {
		if err := send(&flow.Flow{Time: ts(s), NodeName: "h", Id: uint64(s)}); err != nil {
			return err
		}
	}
	return nil
}

// TestHistoryAnswersWhatBuffersNoLongerHold: the ring of a holds 5..8
// (capacity 4), history holds 1..6; a request since 2 is answered by
// history for [2, 5) and by the nodes from 5 on.
func TestHistoryAnswersWhatBuffersNoLongerHold(t *testing.T) {
	a := startNode(t, "a", 4)
	a.Write(1, 2, 3, 4, 5, 6, 7, 8)
	cases := []struct {
		name  string
		req   *observerpb.GetFlowsRequest
		want  string
		asked string
	}{
		{"all since", &observerpb.GetFlowsRequest{Since: ts(2)}, "h2 h3 h4 CONNECTED:a a5 a6 a7 a8", "since=2 until=5 n=0 first=false"},
		{"first 4", &observerpb.GetFlowsRequest{Since: ts(2), Number: 4, First: true}, "h2 h3 h4 CONNECTED:a a5", "since=2 until=5 n=4 first=true"},
		{"last 6", &observerpb.GetFlowsRequest{Since: ts(2), Number: 6}, "h3 h4 CONNECTED:a a5 a6 a7 a8", "since=2 until=5 n=2 first=false"},
		{"last 2: live only", &observerpb.GetFlowsRequest{Since: ts(2), Number: 2}, "CONNECTED:a a7 a8", ""},
		{"window before the buffer", &observerpb.GetFlowsRequest{Since: ts(1), Until: ts(3)}, "h1 h2 h3", "since=1 until=5 n=0 first=false follow=false"},
		{"since within the buffer", &observerpb.GetFlowsRequest{Since: ts(6)}, "CONNECTED:a a6 a7 a8", ""},
		{"history is not asked to follow", &observerpb.GetFlowsRequest{Since: ts(1), Until: ts(3), Follow: true}, "h1 h2 h3", "since=1 until=5 n=0 first=false follow=false"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := &fakeHistory{flows: []int{1, 2, 3, 4, 5, 6}}
			r := startRelay(t, h, a)
			if got := collect(t, r.client, tc.req); got != tc.want {
				t.Fatalf("got  %s\nwant %s", got, tc.want)
			}
			if got := strings.Join(h.asked, "; "); got != tc.asked {
				t.Fatalf("history was asked %q, want %q", got, tc.asked)
			}
		})
	}
}

func TestStatusNodesAndNamespaces(t *testing.T) {
	a, b := startNode(t, "a", 8), startNode(t, "b", 8)
	a.Write(1, 2, 3)
	b.Write(5)
	r := startRelay(t, nil, a, b)
	ctx := context.Background()
	st, err := r.client.ServerStatus(ctx, &observerpb.ServerStatusRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if st.GetNumFlows() != 4 || st.GetMaxFlows() != 16 || st.GetNumConnectedNodes() != 2 || st.GetNumUnavailableNodes() != 0 ||
		!st.GetOldestFlowTime().AsTime().Equal(ts(5).AsTime()) || st.GetVersion() != "relay" {
		t.Fatalf("status %v", st)
	}
	b.Stop()
	r.waitState(t, observerpb.NodeState_NODE_UNAVAILABLE, b)
	st, _ = r.client.ServerStatus(ctx, &observerpb.ServerStatusRequest{})
	if st.GetNumConnectedNodes() != 1 || st.GetNumUnavailableNodes() != 1 || strings.Join(st.GetUnavailableNodes(), ",") != "b" {
		t.Fatalf("status with b down %v", st)
	}
	nodes, err := r.client.GetNodes(ctx, &observerpb.GetNodesRequest{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, n := range nodes.GetNodes() {
		got = append(got, fmt.Sprintf("%s:%s:%d", n.GetName(), n.GetState(), n.GetNumFlows()))
	}
	if want := "a:NODE_CONNECTED:3 b:NODE_UNAVAILABLE:0"; strings.Join(got, " ") != want {
		t.Fatalf("nodes %v, want %s", got, want)
	}
	ns, err := r.client.GetNamespaces(ctx, &observerpb.GetNamespacesRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if len(ns.GetNamespaces()) != 1 || ns.GetNamespaces()[0].GetName() != "shop" || strings.Join(ns.GetNamespaces()[0].GetNodes(), ",") != "a" {
		t.Fatalf("namespaces %v", ns)
	}
}
