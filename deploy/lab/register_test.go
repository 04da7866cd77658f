package lab

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/loupe-dev/loupe/internal/testutil"

	"github.com/google/go-cmp/cmp"
	"github.com/vishvananda/netlink"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/testing/protocmp"

	agentpb "github.com/loupe-dev/loupe/api/agent"
)

// fakeAgent is the agent's endpoint API over a real unix socket, checking
// what the real agent relies on: the host interface exists and is up.
type fakeAgent struct {
	agentpb.UnimplementedAgentServer
	reject string // workload refused with InvalidArgument

	mu      sync.Mutex
	created []*agentpb.CreateEndpointRequest
	deleted []string
	bad     []string
}

func (f *fakeAgent) CreateEndpoint(_ context.Context, req *agentpb.CreateEndpointRequest) (*agentpb.Endpoint, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if l, err := netlink.LinkByName(req.InterfaceName); err != nil || l.Attrs().Flags&net.FlagUp == 0 {
		f.bad = append(f.bad, fmt.Sprintf("%s: interface %s not there or down (%v)", req.Workload, req.InterfaceName, err))
	}
	if !netNSExists(filepath.Base(req.Netns)) {
		f.bad = append(f.bad, fmt.Sprintf("%s: netns %s missing", req.Workload, req.Netns))
	}
	if req.Workload == f.reject {
		return nil, status.Error(codes.InvalidArgument, "refused by test")
	}
	f.created = append(f.created, req)
	return &agentpb.Endpoint{Namespace: req.Namespace, Workload: req.Workload, State: "ready"}, nil
}

func (f *fakeAgent) DeleteEndpoint(_ context.Context, req *agentpb.DeleteEndpointRequest) (*agentpb.DeleteEndpointResponse, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.deleted = append(f.deleted, req.Namespace+"/"+req.Workload)
	return &agentpb.DeleteEndpointResponse{}, nil
}

// startFakeAgent serves f on a unix socket and returns its address.
func startFakeAgent(t *testing.T, f *fakeAgent) (addr string, stop func()) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "agent.sock")
	lis, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer()
	agentpb.RegisterAgentServer(srv, f)
	done := make(chan struct{})
	go func() {
		defer close(done)
		srv.Serve(lis)
	}()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			srv.Stop()
			<-done
		})
	}
	t.Cleanup(stop)
	return "unix://" + path, stop
}

// dialAgent is what the CLI passes as DownOptions.Dial.
func dialAgent(addr string) (Agent, io.Closer, error) {
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return nil, nil, err
	}
	return agentpb.NewAgentClient(conn), conn, nil
}

func agentClient(t *testing.T, addr string) Agent {
	t.Helper()
	a, closer, err := dialAgent(addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { closer.Close() })
	return a
}

func TestUpRegistersWithAgent(t *testing.T) {
	testutil.RequireRoot(t)
	fake := &fakeAgent{}
	addr, _ := startFakeAgent(t, fake)
	m, _ := newTestManager(t)
	st := upLab(t, m, uniqueTopology(t, smallLab), UpOptions{Agent: agentClient(t, addr), AgentAddr: addr})

	var want []*agentpb.CreateEndpointRequest
	for _, w := range st.Workloads {
		want = append(want, &agentpb.CreateEndpointRequest{
			Namespace: w.Namespace, Workload: w.Name, Labels: w.Labels, InterfaceName: w.HostIface,
			Addresses: []string{w.IPv4.String(), w.IPv6.String()}, Netns: "/run/netns/" + w.NetNS,
		})
	}
	fake.mu.Lock()
	diff := cmp.Diff(fake.created, want, protocmp.Transform())
	bad := fake.bad
	fake.mu.Unlock()
	if diff != "" {
		t.Errorf("CreateEndpoint requests (-got +want):\n%s", diff)
	}
	if len(bad) > 0 {
		t.Errorf("registered before the datapath could attach: %v", bad)
	}
	rows, err := m.Status(st.Name)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		if !r.Registered {
			t.Errorf("%s/%s not shown as registered", r.Namespace, r.Name)
		}
	}

	// Down deregisters from the agent recorded in the state.
	if _, err := m.Down(context.Background(), st.Name, DownOptions{Dial: dialAgent}); err != nil {
		t.Fatal(err)
	}
	fake.mu.Lock()
	deleted := slices.Sorted(slices.Values(fake.deleted))
	fake.mu.Unlock()
	if diff := cmp.Diff(deleted, slices.Sorted(slices.Values(st.Registered))); diff != "" {
		t.Errorf("DeleteEndpoint calls (-got +want):\n%s", diff)
	}
	assertGone(t, m, st)
}

// TestUpAgentUnavailable: without an agent, up says so and leaves nothing.
func TestUpAgentUnavailable(t *testing.T) {
	testutil.RequireRoot(t)
	m, log := newTestManager(t)
	addr := "unix://" + filepath.Join(t.TempDir(), "no-agent.sock")
	topo := uniqueTopology(t, smallLab)
	t.Cleanup(func() { m.Down(context.Background(), topo.Name, DownOptions{}) })
	_, err := m.Up(context.Background(), topo, UpOptions{Agent: agentClient(t, addr), AgentAddr: addr})
	if err == nil || !strings.Contains(err.Error(), "with the agent at "+addr) || !strings.Contains(err.Error(), "is the agent running?") {
		t.Fatalf("up: %v", err)
	}
	assertGone(t, m, &State{Topology: *topo})
	if strings.Contains(log.String(), "unreachable") {
		t.Errorf("rollback tried to deregister from an agent that was never reached:\n%s", log)
	}
}

// TestUpAgentRejects: the agent refuses one workload; up rolls back and
// deregisters the ones it had registered.
func TestUpAgentRejects(t *testing.T) {
	testutil.RequireRoot(t)
	fake := &fakeAgent{reject: "web"}
	addr, _ := startFakeAgent(t, fake)
	m, _ := newTestManager(t)
	topo := uniqueTopology(t, smallLab)
	t.Cleanup(func() { m.Down(context.Background(), topo.Name, DownOptions{}) })
	_, err := m.Up(context.Background(), topo, UpOptions{Agent: agentClient(t, addr), AgentAddr: addr})
	if status.Code(err) != codes.InvalidArgument || !strings.Contains(err.Error(), "register shop/web") {
		t.Fatalf("up: %v", err)
	}
	assertGone(t, m, &State{Topology: *topo})
	fake.mu.Lock()
	defer fake.mu.Unlock()
	// Registered in file order: dns and client before web.
	if diff := cmp.Diff(fake.deleted, []string{"infra/dns", "shop/client", "shop/web"}); diff != "" {
		t.Errorf("deregistered (-got +want):\n%s", diff)
	}
}

// TestDownAgentGone: the agent stopped; down warns and removes the lab.
func TestDownAgentGone(t *testing.T) {
	testutil.RequireRoot(t)
	fake := &fakeAgent{}
	addr, stop := startFakeAgent(t, fake)
	m, log := newTestManager(t)
	st := upLab(t, m, uniqueTopology(t, smallLab), UpOptions{Agent: agentClient(t, addr), AgentAddr: addr})
	stop()
	os.Remove(strings.TrimPrefix(addr, "unix://"))
	if _, err := m.Down(context.Background(), st.Name, DownOptions{Dial: dialAgent}); err != nil {
		t.Fatalf("down: %v", err)
	}
	assertGone(t, m, st)
	if !strings.Contains(log.String(), "agent unreachable") {
		t.Errorf("no warning about the agent:\n%s", log)
	}
}
