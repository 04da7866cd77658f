package e2e

import (
	"context"
	"net"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/loupe-dev/loupe/api/observer"
	"github.com/loupe-dev/loupe/internal/testutil"
)

// freeLoopbackAddr returns a loopback address with a port nobody listens
// on now.
func freeLoopbackAddr(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// newClusterAgent prepares an agent that listens on a loopback port of its
// own and lists itself in clusterDir; start runs it.
func newClusterAgent(t testing.TB, node, clusterDir string, extra ...string) (*agentProc, string) {
	t.Helper()
	addr := freeLoopbackAddr(t)
	return newAgent(t, node, append([]string{"--listen", addr, "--cluster-dir", clusterDir}, extra...)...), addr
}

// relayProc is a running `loupe relay`.
type relayProc struct {
	t    testing.TB
	addr string
	cmd  *exec.Cmd
	log  *testutil.SyncBuffer
	conn *grpc.ClientConn
	exit chan struct{}
}

// startRelay runs the relay on a free loopback port with args and waits
// until it answers. It is stopped (SIGTERM, then SIGKILL) when the test ends.
func startRelay(t testing.TB, args ...string) *relayProc {
	t.Helper()
	r := &relayProc{t: t, addr: freeLoopbackAddr(t), log: &testutil.SyncBuffer{}, exit: make(chan struct{})}
	r.cmd = exec.Command(loupeBin, append([]string{"relay", "--listen", r.addr, "--log-level", "debug", "--metrics-listen", ""}, args...)...)
	r.cmd.Stdout, r.cmd.Stderr = r.log, r.log
	if err := r.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { r.cmd.Wait(); close(r.exit) }()
	t.Cleanup(r.stop)
	conn, err := grpc.NewClient("passthrough:///"+r.addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	r.conn = conn
	deadline := time.Now().Add(10 * time.Second)
	for {
		select {
		case <-r.exit:
			t.Fatalf("relay exited: %s", r.log)
		default:
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		_, err := r.client().ServerStatus(ctx, &observer.ServerStatusRequest{})
		cancel()
		if err == nil {
			return r
		}
		if time.Now().After(deadline) {
			t.Fatalf("relay did not come up: %v\n%s", err, r.log)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func (r *relayProc) client() observer.ObserverClient { return observer.NewObserverClient(r.conn) }

// stop ends the relay as Ctrl-C would, and fails the test if it does not.
func (r *relayProc) stop() {
	r.conn.Close()
	r.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-r.exit:
		if code := r.cmd.ProcessState.ExitCode(); code != 0 {
			r.t.Errorf("relay exited with %d after SIGTERM:\n%s", code, r.log)
		}
	case <-time.After(10 * time.Second):
		r.cmd.Process.Kill()
		<-r.exit
		r.t.Errorf("relay did not stop within 10s of SIGTERM:\n%s", r.log)
	}
}

// nodes returns GetNodes by name.
func (r *relayProc) nodes() map[string]*observer.Node {
	r.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	resp, err := r.client().GetNodes(ctx, &observer.GetNodesRequest{})
	if err != nil {
		r.t.Fatalf("GetNodes: %v", err)
	}
	out := map[string]*observer.Node{}
	for _, n := range resp.GetNodes() {
		out[n.GetName()] = n
	}
	return out
}

// waitNodes waits until the named nodes are in state want.
func (r *relayProc) waitNodes(want observer.NodeState, names ...string) map[string]*observer.Node {
	r.t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		nodes := r.nodes()
		ok := true
		for _, n := range names {
			ok = ok && nodes[n].GetState() == want
		}
		if ok {
			return nodes
		}
		if time.Now().After(deadline) {
			r.t.Fatalf("nodes %v did not become %v: %v\nrelay log:\n%s", names, want, nodes, r.log)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// observeAt runs `loupe observe --server server -o json args...` and parses
// every line.
func observeAt(t testing.TB, server string, args ...string) []*observer.GetFlowsResponse {
	t.Helper()
	out := loupe(t, append([]string{"observe", "--server", server, "-o", "json"}, args...)...)
	var resps []*observer.GetFlowsResponse
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		if line == "" {
			continue
		}
		r := &observer.GetFlowsResponse{}
		if err := protojson.Unmarshal([]byte(line), r); err != nil {
			t.Fatalf("observe printed a line that is not a GetFlowsResponse: %v\n%s", err, line)
		}
		resps = append(resps, r)
	}
	return resps
}
