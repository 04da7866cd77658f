package peers

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"
	"google.golang.org/grpc"

	"github.com/loupe-dev/loupe/api/observer"
	peerpb "github.com/loupe-dev/loupe/api/peer"
	"github.com/loupe-dev/loupe/relay/backoff"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// fakeNode serves ServerStatus and Peer.Notify on a unix socket.
type fakeNode struct {
	observer.UnimplementedObserverServer
	peerpb.UnimplementedPeerServer
	name, sock string
	notes      chan *peerpb.ChangeNotification
	srv        *grpc.Server
	done       chan struct{}
}

func newFakeNode(t *testing.T, name string) *fakeNode {
	t.Helper()
	n := &fakeNode{name: name, sock: filepath.Join(t.TempDir(), name+".sock"), notes: make(chan *peerpb.ChangeNotification, 16)}
	n.start(t)
	t.Cleanup(n.stop)
	return n
}

func (n *fakeNode) addr() string { return "unix://" + n.sock }

func (n *fakeNode) start(t *testing.T) {
	t.Helper()
	l, err := net.Listen("unix", n.sock)
	if err != nil {
		t.Fatal(err)
	}
	n.srv = grpc.NewServer()
	observer.RegisterObserverServer(n.srv, n)
	peerpb.RegisterPeerServer(n.srv, n)
	n.done = make(chan struct{})
	go func() { defer close(n.done); n.srv.Serve(l) }()
}

func (n *fakeNode) stop() {
	if n.srv != nil {
		n.srv.Stop()
		<-n.done
		n.srv = nil
	}
}

func (n *fakeNode) ServerStatus(context.Context, *observer.ServerStatusRequest) (*observer.ServerStatusResponse, error) {
	return &observer.ServerStatusResponse{NodeName: n.name, Version: "test", NumFlows: 7}, nil
}

func (n *fakeNode) Notify(_ *peerpb.NotifyRequest, stream peerpb.Peer_NotifyServer) error {
	for {
		select {
		case note := <-n.notes:
			if err := stream.Send(note); err != nil {
				return err
			}
		case <-stream.Context().Done():
			return nil
		}
	}
}

func testConfig() Config {
	cfg := DefaultConfig()
	cfg.HealthInterval = 20 * time.Millisecond
	cfg.NewBackoff = func() *backoff.Backoff {
		return &backoff.Backoff{Min: 5 * time.Millisecond, Max: 20 * time.Millisecond, Factor: 2}
	}
	return cfg
}

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// waitFor waits until cond holds for the manager's nodes.
func waitFor(t *testing.T, m *Manager, what string, cond func(map[string]Node) bool) map[string]Node {
	t.Helper()
	deadline := time.After(5 * time.Second)
	for {
		nodes, changed := m.Nodes()
		byName := map[string]Node{}
		for _, n := range nodes {
			byName[n.Name] = n
		}
		if cond(byName) {
			return byName
		}
		select {
		case <-changed:
		case <-time.After(20 * time.Millisecond): // status refreshes do not signal
		case <-deadline:
			t.Fatalf("timed out waiting for %s; nodes: %+v", what, byName)
		}
	}
}

func state(name string, s observer.NodeState) func(map[string]Node) bool {
	return func(ns map[string]Node) bool { return ns[name].State == s }
}

func TestStaticPeersConnectAndReconnect(t *testing.T) {
	a, b := newFakeNode(t, "a"), newFakeNode(t, "b")
	cfg := testConfig()
	cfg.Static = []Peer{{Name: "a", Address: a.addr()}, {Name: "b", Address: b.addr()}}
	m := New(cfg, quiet())
	m.Start()
	defer m.Stop()

	nodes := waitFor(t, m, "both connected", func(ns map[string]Node) bool {
		return ns["a"].State == observer.NodeState_NODE_CONNECTED && ns["b"].State == observer.NodeState_NODE_CONNECTED
	})
	if nodes["a"].Conn == nil || nodes["a"].Status.GetNumFlows() != 7 || nodes["a"].Gen == nodes["b"].Gen {
		t.Fatalf("connected node a: %+v", nodes["a"])
	}
	gen := nodes["b"].Gen

	b.stop()
	m.ReportFailure("b", gen) // as a stream on b would
	nodes = waitFor(t, m, "b unavailable", state("b", observer.NodeState_NODE_UNAVAILABLE))
	if nodes["b"].Conn != nil || nodes["b"].LastError == "" || nodes["a"].State != observer.NodeState_NODE_CONNECTED {
		t.Fatalf("after b stopped: %+v", nodes)
	}

	b.start(t)
	nodes = waitFor(t, m, "b back", state("b", observer.NodeState_NODE_CONNECTED))
	if nodes["b"].Gen == gen || nodes["b"].LastError != "" {
		t.Fatalf("b reconnected on the same generation or kept its error: %+v", nodes["b"])
	}
}

func TestPeerServiceAddsAndRemovesNodes(t *testing.T) {
	svc, c := newFakeNode(t, "svc"), newFakeNode(t, "c")
	cfg := testConfig()
	cfg.Services = []Peer{{Address: svc.addr()}}
	m := New(cfg, quiet())
	m.Start()
	defer m.Stop()

	svc.notes <- &peerpb.ChangeNotification{Name: "c", Address: c.addr(), Type: peerpb.ChangeNotificationType_PEER_ADDED}
	waitFor(t, m, "c connected", state("c", observer.NodeState_NODE_CONNECTED))

	svc.notes <- &peerpb.ChangeNotification{Name: "c", Type: peerpb.ChangeNotificationType_PEER_DELETED}
	nodes := waitFor(t, m, "c gone", state("c", observer.NodeState_NODE_GONE))
	if nodes["c"].Conn != nil {
		t.Fatal("a gone node kept its connection")
	}

	// The service restarts: nodes stay, the stream is opened again.
	svc.stop()
	svc.start(t)
	svc.notes <- &peerpb.ChangeNotification{Name: "c", Address: c.addr(), Type: peerpb.ChangeNotificationType_PEER_ADDED}
	waitFor(t, m, "c back", state("c", observer.NodeState_NODE_CONNECTED))
}

func TestPlaintextToARemoteAddressIsRefused(t *testing.T) {
	cfg := testConfig()
	cfg.Static = []Peer{{Name: "far", Address: "192.0.2.1:4244"}}
	m := New(cfg, quiet())
	m.Start()
	defer m.Stop()
	nodes := waitFor(t, m, "far unavailable", state("far", observer.NodeState_NODE_UNAVAILABLE))
	if !strings.Contains(nodes["far"].LastError, ErrPlaintextRemote.Error()) {
		t.Fatalf("last error %q, want it to say %q", nodes["far"].LastError, ErrPlaintextRemote)
	}
}

func TestTLSWithoutACertificateIsRefused(t *testing.T) {
	_, _, err := transport(Peer{Name: "a", Address: "127.0.0.1:1", TLSServerName: "a"}, testConfig().TLS)
	if !errors.Is(err, ErrNoClientCert) {
		t.Fatalf("got %v, want ErrNoClientCert", err)
	}
}

func TestGoneNodesAreBounded(t *testing.T) {
	cfg := testConfig()
	cfg.MaxGone = 2
	m := New(cfg, quiet())
	m.Start()
	defer m.Stop()
	for _, name := range []string{"n1", "n2", "n3", "n4"} {
		m.upsert(Peer{Name: name, Address: "unix:///nonexistent/" + name})
		m.remove(name)
	}
	nodes, _ := m.Nodes()
	if len(nodes) != 2 || nodes[0].Name != "n3" || nodes[1].Name != "n4" {
		t.Fatalf("kept %+v, want the two newest gone nodes", nodes)
	}
}

func TestAnAddressServingAnotherNodeIsRefused(t *testing.T) {
	a := newFakeNode(t, "node-a")
	cfg := testConfig()
	cfg.Static = []Peer{{Name: "node-x", Address: a.addr()}}
	m := New(cfg, quiet())
	m.Start()
	defer m.Stop()
	nodes := waitFor(t, m, "an error for node-x", func(ns map[string]Node) bool {
		return strings.Contains(ns["node-x"].LastError, `serves node "node-a"`)
	})
	if nodes["node-x"].State == observer.NodeState_NODE_CONNECTED {
		t.Fatalf("node-x connected to node-a's address: %+v", nodes["node-x"])
	}
}
