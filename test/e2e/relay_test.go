package e2e

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/loupe-dev/loupe/api/flow"
	"github.com/loupe-dev/loupe/api/observer"
	"github.com/loupe-dev/loupe/internal/mtls"
)

// checkTimeOrder fails unless flows are in non-decreasing time order.
func checkTimeOrder(t *testing.T, flows []*flow.Flow) {
	t.Helper()
	for i := 1; i < len(flows); i++ {
		if flows[i].GetTime().AsTime().Before(flows[i-1].GetTime().AsTime()) {
			t.Fatalf("flow %d (%s, %s) is older than flow %d (%s, %s)", i,
				flows[i].GetNodeName(), flows[i].GetTime().AsTime().Format(time.RFC3339Nano),
				i-1, flows[i-1].GetNodeName(), flows[i-1].GetTime().AsTime().Format(time.RFC3339Nano))
		}
	}
}

func nodesOf(flows []*flow.Flow) []string {
	var names []string
	for _, f := range flows {
		if !slices.Contains(names, f.GetNodeName()) {
			names = append(names, f.GetNodeName())
		}
	}
	slices.Sort(names)
	return names
}

// TestRelayMergesNodes: two agents on this machine, each with its own lab,
// behind one relay. observe through the relay shows both nodes' flows in
// time order; a third agent joins through the peer service; a killed agent
// is reported unavailable, in GetNodes and in-band, while the other keeps
// streaming; an agent that stops cleanly is gone.
func TestRelayMergesNodes(t *testing.T) {
	cluster := t.TempDir()
	const na, nb, nc = "e2e-relay-a", "e2e-relay-b", "e2e-relay-c"
	a, addrA := newClusterAgent(t, na, cluster)
	b, addrB := newClusterAgent(t, nb, cluster)
	a.start()
	b.start()
	la, lb := labUp(t, a), labUp(t, b)
	r := startRelay(t, "--peers", fmt.Sprintf("%s=%s,%s=%s", na, addrA, nb, addrB), "--peer-service", addrA)
	r.waitNodes(observer.NodeState_NODE_CONNECTED, na, nb)

	la.run("traffic", "--once")
	lb.run("traffic", "--once")

	t.Run("observe shows both nodes in time order", func(t *testing.T) {
		// What each agent holds now must all come through the relay after.
		held := map[string][]uint64{}
		for _, ag := range []*agentProc{a, b} {
			for _, f := range flowsOf(observeJSON(t, ag, "--since", "5m")) {
				held[ag.node] = append(held[ag.node], f.GetId())
			}
			if len(held[ag.node]) == 0 {
				t.Fatalf("%s has no flows after traffic", ag.node)
			}
		}
		resps := observeAt(t, r.addr, "--since", "5m")
		flows := flowsOf(resps)
		checkTimeOrder(t, flows)
		if got := nodesOf(flows); !slices.Equal(got, []string{na, nb}) {
			t.Fatalf("flows from nodes %v, want both", got)
		}
		t.Logf("%d flows through the relay", len(flows))
		for _, resp := range resps {
			if l := resp.GetLostEvents(); l.GetSource() == flow.LostEventSource_RELAY_QUEUE {
				t.Errorf("the sort window dropped %d late flows of an answer that ends", l.GetNumEventsLost())
			}
		}
		relayed := map[string]bool{}
		for _, f := range flows {
			relayed[fmt.Sprintf("%s/%d", f.GetNodeName(), f.GetId())] = true
		}
		for node, ids := range held {
			for _, id := range ids {
				if !relayed[fmt.Sprintf("%s/%d", node, id)] {
					t.Fatalf("flow %d of %s is not in the relay's answer", id, node)
				}
			}
		}

		last := flowsOf(observeAt(t, r.addr, "--last", "30"))
		if len(last) != 30 {
			t.Fatalf("--last 30 through the relay: %d flows", len(last))
		}
		checkTimeOrder(t, last)

		compact := loupe(t, "observe", "--server", r.addr, "--since", "5m", "--protocol", "tcp")
		for _, n := range []string{na, nb} {
			if !strings.Contains(compact, "["+n+"]: ") {
				t.Errorf("compact output has no line of [%s]:\n%s", n, compact[:min(len(compact), 2000)])
			}
		}
		if !strings.Contains(compact, "2 nodes connected: "+na+", "+nb) {
			t.Errorf("compact output does not say which nodes answered:\n%s", compact[:min(len(compact), 500)])
		}
	})

	t.Run("nodes and status", func(t *testing.T) {
		out := loupe(t, "nodes", "--server", r.addr)
		for _, n := range []string{na, nb} {
			if !strings.Contains(out, n) || !strings.Contains(out, "connected") {
				t.Errorf("loupe nodes does not show %s connected:\n%s", n, out)
			}
		}
		st := loupe(t, "status", "--server", r.addr)
		if !strings.Contains(st, "2 connected, 0 unavailable") {
			t.Errorf("relay status:\n%s", st)
		}
		ns, err := r.client().GetNamespaces(context.Background(), &observer.GetNamespacesRequest{})
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range ns.GetNamespaces() {
			if n.GetName() == "shop" && !slices.Equal(n.GetNodes(), []string{na, nb}) {
				t.Errorf("namespace shop on %v, want both nodes", n.GetNodes())
			}
		}
	})

	c, _ := newClusterAgent(t, nc, cluster)
	t.Run("a third agent joins through the peer service", func(t *testing.T) {
		c.start()
		r.waitNodes(observer.NodeState_NODE_CONNECTED, nc)
	})

	t.Run("a killed agent is unavailable and the other keeps streaming", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		stream, err := r.client().GetFlows(ctx, &observer.GetFlowsRequest{Follow: true})
		if err != nil {
			t.Fatal(err)
		}
		resps := make(chan *observer.GetFlowsResponse, 1024)
		go func() {
			defer close(resps)
			for {
				resp, err := stream.Recv()
				if err != nil {
					return
				}
				select {
				case resps <- resp:
				case <-ctx.Done():
					return
				}
			}
		}()
		// The stream is open once it said which nodes it covers.
		waitResponse(t, resps, "the initial node status", func(r *observer.GetFlowsResponse) bool {
			return r.GetNodeStatus().GetStateChange() == observer.NodeState_NODE_CONNECTED
		})

		// Live, both nodes at once: one time order.
		done := make(chan struct{})
		go func() { defer close(done); lb.run("traffic", "--once") }()
		la.run("traffic", "--once")
		<-done
		var live []*flow.Flow
		waitResponse(t, resps, "live flows of both nodes", func(r *observer.GetFlowsResponse) bool {
			if f := r.GetFlow(); f != nil {
				live = append(live, f)
			}
			return len(nodesOf(live)) == 2 && len(live) >= 100
		})
		checkTimeOrder(t, live)

		b.kill()
		waitResponse(t, resps, nb+" unavailable in-band", func(r *observer.GetFlowsResponse) bool {
			s := r.GetNodeStatus()
			return s.GetStateChange() == observer.NodeState_NODE_UNAVAILABLE && slices.Contains(s.GetNodeNames(), nb)
		})
		nodes := r.waitNodes(observer.NodeState_NODE_UNAVAILABLE, nb)
		if nodes[na].GetState() != observer.NodeState_NODE_CONNECTED || nodes[nb].GetLastError() == "" {
			t.Fatalf("after killing %s: %v", nb, nodes)
		}

		killed := time.Now()
		la.run("traffic", "--once")
		waitResponse(t, resps, "a flow of "+na+" after the kill", func(r *observer.GetFlowsResponse) bool {
			return r.GetFlow().GetNodeName() == na && r.GetFlow().GetTime().AsTime().After(killed)
		})
		if st := loupe(t, "status", "--server", r.addr); !strings.Contains(st, "2 connected, 1 unavailable ("+nb+")") {
			t.Errorf("relay status after the kill:\n%s", st)
		}
	})

	t.Run("an agent that stops cleanly is gone", func(t *testing.T) {
		c.cmd.Process.Signal(syscall.SIGTERM)
		r.waitNodes(observer.NodeState_NODE_GONE, nc)
	})
}

// waitResponse reads resps until one satisfies ok.
func waitResponse(t *testing.T, resps <-chan *observer.GetFlowsResponse, what string, ok func(*observer.GetFlowsResponse) bool) {
	t.Helper()
	deadline := time.After(15 * time.Second)
	for {
		select {
		case r, open := <-resps:
			if !open {
				t.Fatalf("the stream ended before %s", what)
			}
			if ok(r) {
				return
			}
		case <-deadline:
			t.Fatalf("no %s within 15s", what)
		}
	}
}

// TestRelayMutualTLS: with certificates from `loupe certs`, the relay
// talks to an agent that serves mutual TLS; clients without a certificate,
// or without TLS, are refused.
func TestRelayMutualTLS(t *testing.T) {
	const node = "e2e-relay-tls"
	certs := t.TempDir()
	loupe(t, "certs", "--dir", certs, "--nodes", node)
	file := func(name string) string { return filepath.Join(certs, name) }
	a, addr := newClusterAgent(t, node, t.TempDir(),
		"--tls-cert", file(node+".crt"), "--tls-key", file(node+".key"), "--tls-client-ca", file("ca.crt"))
	a.start()
	r := startRelay(t, "--peers", node+"="+addr,
		"--tls-cert", file("relay.crt"), "--tls-key", file("relay.key"), "--tls-ca", file("ca.crt"))
	nodes := r.waitNodes(observer.NodeState_NODE_CONNECTED, node)
	if !nodes[node].GetTls() {
		t.Fatalf("connected without TLS: %v", nodes[node])
	}
	// The relay streams through it.
	observeAt(t, r.addr, "--last", "5")

	call := func(creds credentials.TransportCredentials) error {
		conn, err := grpc.NewClient("passthrough:///"+addr, grpc.WithTransportCredentials(creds))
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_, err = observer.NewObserverClient(conn).ServerStatus(ctx, &observer.ServerStatusRequest{})
		return err
	}
	if err := call(insecure.NewCredentials()); err == nil {
		t.Error("a plaintext client was served")
	}
	noCert, err := mtls.Files{Cert: file("relay.crt"), Key: file("relay.key"), CA: file("ca.crt")}.ClientConfig(node)
	if err != nil {
		t.Fatal(err)
	}
	noCert.Certificates = nil
	if err := call(credentials.NewTLS(noCert)); err == nil {
		t.Error("a TLS client without a certificate was served")
	}
	if _, code, _ := loupeCode(t, "observe", "--server", addr, "--last", "1"); code == 0 {
		t.Error("loupe observe without a certificate was served")
	}

	t.Run("plaintext off loopback is refused", func(t *testing.T) {
		for _, args := range [][]string{
			{"relay", "--peers", "x=192.0.2.1:4244"},
			{"relay", "--listen", "0.0.0.0:0", "--peers", "x=127.0.0.1:1"},
			{"agent", "--listen", "0.0.0.0:0", "--state-dir", filepath.Join(t.TempDir(), "s"), "--socket", ""},
		} {
			_, code, stderr := loupeCode(t, args...)
			if code != 2 || !strings.Contains(stderr, "--") || !strings.Contains(stderr, "loopback") {
				t.Errorf("loupe %s: exit %d, %q; want exit 2 naming the flag", strings.Join(args, " "), code, stderr)
			}
		}
	})
}
