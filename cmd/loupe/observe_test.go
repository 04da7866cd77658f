package main

import (
	"bytes"
	"context"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/loupe-dev/loupe/internal/testutil"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/testing/protocmp"
	"google.golang.org/protobuf/types/known/timestamppb"

	agentpb "github.com/loupe-dev/loupe/api/agent"
	"github.com/loupe-dev/loupe/api/flow"
	"github.com/loupe-dev/loupe/api/observer"
)

// observeFakeObserver serves fixed responses and records the requests.
type observeFakeObserver struct {
	observer.UnimplementedObserverServer
	responses []*observer.GetFlowsResponse
	follow    bool  // keep the stream open until the client leaves
	err       error // returned instead of streaming
	status    *observer.ServerStatusResponse

	mu       sync.Mutex
	requests []*observer.GetFlowsRequest
}

func (f *observeFakeObserver) GetFlows(req *observer.GetFlowsRequest, stream observer.Observer_GetFlowsServer) error {
	f.mu.Lock()
	f.requests = append(f.requests, req)
	f.mu.Unlock()
	if f.err != nil {
		return f.err
	}
	for _, r := range f.responses {
		if err := stream.Send(r); err != nil {
			return err
		}
	}
	if f.follow {
		<-stream.Context().Done()
	}
	return nil
}

func (f *observeFakeObserver) ServerStatus(context.Context, *observer.ServerStatusRequest) (*observer.ServerStatusResponse, error) {
	return f.status, nil
}

func (f *observeFakeObserver) received() []*observer.GetFlowsRequest {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]*observer.GetFlowsRequest(nil), f.requests...)
}

// observeFakeAgent serves fixed endpoint and identity lists.
type observeFakeAgent struct {
	agentpb.UnimplementedAgentServer
	endpoints  *agentpb.ListEndpointsResponse
	identities *agentpb.ListIdentitiesResponse
}

func (a *observeFakeAgent) ListEndpoints(context.Context, *agentpb.ListEndpointsRequest) (*agentpb.ListEndpointsResponse, error) {
	return a.endpoints, nil
}

func (a *observeFakeAgent) ListIdentities(context.Context, *agentpb.ListIdentitiesRequest) (*agentpb.ListIdentitiesResponse, error) {
	return a.identities, nil
}

// startObserveFakes serves the fakes on a unix socket, as the agent does, and
// returns the --server value.
func startObserveFakes(t *testing.T, obs *observeFakeObserver, ag *observeFakeAgent) string {
	t.Helper()
	// t.TempDir paths can exceed the 108 bytes of a socket path.
	dir, err := os.MkdirTemp("", "loupe-cli")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	path := filepath.Join(dir, "loupe.sock")
	l, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer()
	if obs != nil {
		observer.RegisterObserverServer(srv, obs)
	}
	if ag != nil {
		agentpb.RegisterAgentServer(srv, ag)
	}
	go srv.Serve(l)
	t.Cleanup(srv.Stop)
	return "unix://" + path
}

func TestObserveBadInputExitCode(t *testing.T) {
	tests := [][]string{
		{"observe", "--bogus"},
		{"observe", "--to-ip", "10.0.0.0/33"},
		{"observe", "--from-label", "app in (a"},
		{"observe", "--since", "yesterdayish"},
		{"observe", "--to-port", "http"},
		{"observe", "--port", "70000"},
		{"observe", "--verdict", "ALLOWED"},
		{"observe", "--last", "0"},
		{"observe", "--last", "-3"},
		{"observe", "--first", "2", "--last", "2"},
		{"observe", "--not"},
		{"observe", "--label", "a=b", "--to-label", "c=d"},
		{"observe", "-o", "yaml"},
		{"observe", "--timeout", "0s"},
		{"observe", "unexpected-argument"},
		{"status", "-o", "yaml"},
		{"endpoint", "list", "--output", "xml"},
		{"identity", "list", "extra"},
	}
	for _, args := range tests {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			// Nothing listens there: bad input must be refused before any
			// connection is tried.
			args := append(args, "--server", "unix:///nonexistent/loupe.sock")
			if code := run(context.Background(), args); code != 2 {
				t.Errorf("run(%q) = %d, want 2", args, code)
			}
		})
	}
}

func TestObserveUnreachableServer(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, args := range [][]string{
		{"observe", "--server", "unix:///nonexistent/loupe.sock"},
		{"status", "--server", "unix:///nonexistent/loupe.sock"},
	} {
		if code := run(ctx, args); code != 1 {
			t.Errorf("run(%q) = %d, want 1", args, code)
		}
	}
	if ctx.Err() != nil {
		t.Error("an unreachable server made the command hang")
	}
}

func observeTestFlow(ms int, reply bool) *observer.GetFlowsResponse {
	src, dst := &flow.Endpoint{Identity: 1001, Namespace: "shop", Workload: "frontend"}, &flow.Endpoint{Identity: 1002, Namespace: "shop", Workload: "catalog"}
	sport, dport := uint32(41234), uint32(8080)
	if reply {
		src, dst, sport, dport = dst, src, dport, sport
	}
	ts := timestamppb.New(time.Date(2026, 3, 7, 9, 4, 5, ms*1e6, time.Local))
	return &observer.GetFlowsResponse{NodeName: "node-1", Time: ts, ResponseTypes: &observer.GetFlowsResponse_Flow{Flow: &flow.Flow{
		Time: ts, NodeName: "node-1", Verdict: flow.Verdict_FORWARDED, IsReply: reply,
		Source: src, Destination: dst, EventType: flow.EventType_TRACE, ObservationPoint: flow.ObservationPoint_TO_ENDPOINT,
		L4: &flow.Layer4{Protocol: &flow.Layer4_Tcp{Tcp: &flow.TCP{SourcePort: sport, DestinationPort: dport, Flags: &flow.TCPFlags{SYN: true, ACK: reply}}}},
	}}}
}

// TestObserveStreams runs observe against a served Observer: the request on
// the wire is the one the flags describe, and the output is the compact
// rendering of what came back.
func TestObserveStreams(t *testing.T) {
	obs := &observeFakeObserver{responses: []*observer.GetFlowsResponse{
		observeTestFlow(0, false),
		observeTestFlow(1, true),
		{NodeName: "node-1", ResponseTypes: &observer.GetFlowsResponse_LostEvents{LostEvents: &flow.LostEvent{
			Source: flow.LostEventSource_KERNEL_RING_BUFFER, NumEventsLost: 42, Cpu: 1}}},
	}}
	server := startObserveFakes(t, obs, nil)

	var out bytes.Buffer
	cmd := newObserveCmd()
	cmd.SetOut(&out)
	cmd.SetArgs([]string{"--server", server, "--last", "3", "--label", "app=catalog", "--not", "--to-port", "53"})
	if err := cmd.ExecuteContext(context.Background()); err != nil {
		t.Fatal(err)
	}

	wantReq := []*observer.GetFlowsRequest{{
		Number: 3,
		Allow:  []*flow.FlowFilter{{SourceLabel: []string{"app=catalog"}}, {DestinationLabel: []string{"app=catalog"}}},
		Deny:   []*flow.FlowFilter{{DestinationPort: []string{"53"}}},
	}}
	if diff := cmp.Diff(wantReq, obs.received(), protocmp.Transform()); diff != "" {
		t.Errorf("request (-want +got):\n%s", diff)
	}
	want := "Mar  7 09:04:05.000 [node-1]: shop/frontend:41234 (ID:1001) -> shop/catalog:8080 (ID:1002) to-endpoint FORWARDED (TCP Flags: SYN)\n" +
		"Mar  7 09:04:05.001 [node-1]: shop/frontend:41234 (ID:1001) <- shop/catalog:8080 (ID:1002) to-endpoint FORWARDED (TCP Flags: SYN, ACK)\n" +
		"EVENTS LOST: KERNEL_RING_BUFFER CPU(1) 42\n"
	if diff := cmp.Diff(want, out.String()); diff != "" {
		t.Errorf("output (-want +got):\n%s", diff)
	}
}

// TestObserveFollowEndsOnCancel: Ctrl-C ends a --follow cleanly, after what
// arrived was printed.
func TestObserveFollowEndsOnCancel(t *testing.T) {
	obs := &observeFakeObserver{follow: true, responses: []*observer.GetFlowsResponse{observeTestFlow(0, false)}}
	server := startObserveFakes(t, obs, nil)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	out := &testutil.SyncBuffer{}
	cmd := newObserveCmd()
	cmd.SetOut(out)
	cmd.SetArgs([]string{"--server", server, "-f", "-o", "table"})
	done := make(chan error, 1)
	go func() { done <- cmd.ExecuteContext(ctx) }()

	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(out.String(), "shop/catalog:8080") {
		if time.Now().After(deadline) {
			t.Fatalf("no streamed row after 10s; output %q", out.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("observe -f after cancel: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("observe -f did not end after cancel")
	}
	if got := obs.received(); len(got) != 1 || !got[0].GetFollow() || got[0].GetNumber() != 0 {
		t.Errorf("request = %v, want follow with no backlog", got)
	}
	if !strings.HasPrefix(out.String(), "TIME ") {
		t.Errorf("table output does not start with its header: %q", out.String())
	}
}

// TestObserveServerRefusesFilter: a filter the server calls invalid is a
// usage error (exit 2), with the server's reason.
func TestObserveServerRefusesFilter(t *testing.T) {
	obs := &observeFakeObserver{err: status.Error(codes.InvalidArgument, `allow[0]: http_path "x": not supported`)}
	server := startObserveFakes(t, obs, nil)
	if code := run(context.Background(), []string{"observe", "--server", server}); code != 2 {
		t.Errorf("exit code %d, want 2", code)
	}
	obs.err = status.Error(codes.Internal, "boom")
	if code := run(context.Background(), []string{"observe", "--server", server}); code != 1 {
		t.Errorf("exit code %d, want 1", code)
	}
}
