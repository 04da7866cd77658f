package relay

import (
	"context"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/loupe-dev/loupe/api/flow"
	"github.com/loupe-dev/loupe/api/observer"
	"github.com/loupe-dev/loupe/relay/internal/relaytest"
	"github.com/loupe-dev/loupe/relay/peers"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

type countingArchive struct {
	mu sync.Mutex
	n  int
}

func (a *countingArchive) Since(context.Context, string) (time.Time, error) { return time.Time{}, nil }
func (a *countingArchive) Offer(string, *flow.Flow) {
	a.mu.Lock()
	a.n++
	a.mu.Unlock()
}

// TestStartServeStop: a relay serves its nodes, archives their flows, and
// stops with a follower still attached, leaving no goroutine behind.
func TestStartServeStop(t *testing.T) {
	a := relaytest.StartNode(t, "a", 16)
	a.Write(1, 2, 3)
	cfg := DefaultConfig()
	cfg.Listen = "unix://" + filepath.Join(t.TempDir(), "relay.sock")
	cfg.Peers.Static = []peers.Peer{{Name: "a", Address: a.Address()}}
	arch := &countingArchive{}
	cfg.Archive = arch
	r, err := New(cfg, relaytest.Quiet())
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Start(); err != nil {
		t.Fatal(err)
	}
	stopped := false
	defer func() {
		if !stopped {
			r.Stop()
		}
	}()
	conn, err := grpc.NewClient(cfg.Listen, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	c := observer.NewObserverClient(conn)
	deadline := time.Now().Add(5 * time.Second)
	for {
		resp, err := c.GetNodes(context.Background(), &observer.GetNodesRequest{})
		if err == nil && len(resp.GetNodes()) == 1 && resp.GetNodes()[0].GetState() == observer.NodeState_NODE_CONNECTED {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("node a never connected: %v, %v", resp, err)
		}
		time.Sleep(10 * time.Millisecond)
	}
	for {
		arch.mu.Lock()
		n := arch.n
		arch.mu.Unlock()
		if n == 3 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("archive got %d flows, want 3", n)
		}
		time.Sleep(10 * time.Millisecond)
	}
	stream, err := c.GetFlows(context.Background(), &observer.GetFlowsRequest{Follow: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := stream.Recv(); err != nil { // the node status event: the call is in
		t.Fatal(err)
	}
	start := time.Now()
	r.Stop()
	stopped = true
	if d := time.Since(start); d > stopGrace/2 {
		t.Fatalf("Stop took %s", d)
	}
}

func TestNewRefusesAnEmptyWindow(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Window.MaxFlows = 0
	if _, err := New(cfg, relaytest.Quiet()); err == nil {
		t.Fatal("a window of 0 flows was accepted")
	}
}
