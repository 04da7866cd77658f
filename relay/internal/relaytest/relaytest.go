// Package relaytest holds the relay's test fixtures: nodes that serve an
// agent's real Observer API over a ring the test writes to, and a peer
// manager connected to them.
package relaytest

import (
	"io"
	"log/slog"
	"net"
	"path/filepath"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/loupe-dev/loupe/api/flow"
	"github.com/loupe-dev/loupe/api/observer"
	"github.com/loupe-dev/loupe/collector"
	agentobserver "github.com/loupe-dev/loupe/collector/observer"
	"github.com/loupe-dev/loupe/collector/ring"
	"github.com/loupe-dev/loupe/relay/backoff"
	"github.com/loupe-dev/loupe/relay/peers"
)

// T0 is the time flows are written relative to.
var T0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// At is T0 + sec seconds.
func At(sec int) time.Time { return T0.Add(time.Duration(sec) * time.Second) }

// Node is an agent's Observer server on a unix socket, over a ring.
type Node struct {
	Name string
	Ring *ring.Ring
	Sock string
	srv  *grpc.Server
	done chan struct{}
}

// source is what the agent's server reads.
type source struct{ n *Node }

func (s source) Ring() *ring.Ring       { return s.n.Ring }
func (s source) Stats() collector.Stats { return collector.Stats{Seen: 1} }

// StartNode serves a node with a ring of capacity; it stops with the test.
func StartNode(t *testing.T, name string, capacity int) *Node {
	t.Helper()
	n := &Node{Name: name, Ring: ring.New(capacity), Sock: filepath.Join(t.TempDir(), name+".sock")}
	n.Serve(t)
	t.Cleanup(n.Stop)
	return n
}

// Address is the node's address for the relay.
func (n *Node) Address() string { return "unix://" + n.Sock }

// Serve starts (again) serving on the node's socket.
func (n *Node) Serve(t *testing.T) {
	t.Helper()
	l, err := net.Listen("unix", n.Sock)
	if err != nil {
		t.Fatal(err)
	}
	n.srv = grpc.NewServer()
	observer.RegisterObserverServer(n.srv, agentobserver.NewServer(source{n}, n.Name, "v1", "medium"))
	n.done = make(chan struct{})
	go func() { defer close(n.done); n.srv.Serve(l) }()
}

// Stop stops serving, as a node that went down.
func (n *Node) Stop() {
	if n.srv != nil {
		n.srv.Stop()
		<-n.done
		n.srv = nil
	}
}

// Write adds flows at T0 + secs seconds, with the second as id, in the
// shop namespace.
func (n *Node) Write(secs ...int) {
	for _, s := range secs {
		ts := timestamppb.New(At(s))
		n.Ring.Write(ring.Entry{TimeNs: ts.AsTime().UnixNano(), Flow: &flow.Flow{
			Time: ts, NodeName: n.Name, Id: uint64(s), Source: &flow.Endpoint{Namespace: "shop"},
		}})
	}
}

// Manager starts a peer manager with fast health checks and backoff,
// connected to nodes; it stops with the test. It waits for every node to
// be connected.
func Manager(t *testing.T, nodes ...*Node) *peers.Manager {
	t.Helper()
	cfg := peers.DefaultConfig()
	cfg.HealthInterval = 20 * time.Millisecond
	cfg.NewBackoff = FastBackoff
	for _, n := range nodes {
		cfg.Static = append(cfg.Static, peers.Peer{Name: n.Name, Address: n.Address()})
	}
	m := peers.New(cfg, Quiet())
	m.Start()
	t.Cleanup(m.Stop)
	WaitState(t, m, observer.NodeState_NODE_CONNECTED, nodes...)
	return m
}

// FastBackoff retries within milliseconds.
func FastBackoff() *backoff.Backoff {
	return &backoff.Backoff{Min: 5 * time.Millisecond, Max: 20 * time.Millisecond, Factor: 2}
}

// Quiet is a logger that writes nothing.
func Quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// WaitState waits until every node of nodes is in state want.
func WaitState(t *testing.T, m *peers.Manager, want observer.NodeState, nodes ...*Node) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		all, _ := m.Nodes()
		ok := 0
		for _, n := range all {
			for _, w := range nodes {
				if n.Name == w.Name && n.State == want {
					ok++
				}
			}
		}
		if ok == len(nodes) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("nodes did not become %v: %+v", want, all)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
