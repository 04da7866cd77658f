package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	agentpb "github.com/loupe-dev/loupe/api/agent"
	"github.com/loupe-dev/loupe/api/observer"
	"github.com/loupe-dev/loupe/datapath/proxy"
	"github.com/loupe-dev/loupe/internal/testutil"
)

// loupeBin is the binary under test: LOUPE_BIN (make test sets it), or one
// built for this run.
var loupeBin string

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	loupeBin = os.Getenv("LOUPE_BIN")
	if loupeBin == "" {
		dir, err := os.MkdirTemp("", "loupe-e2e-bin")
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		defer os.RemoveAll(dir)
		loupeBin = filepath.Join(dir, "loupe")
		_, file, _, _ := runtime.Caller(0)
		build := exec.Command("go", "build", "-o", loupeBin, "./cmd/loupe")
		build.Dir = filepath.Join(filepath.Dir(file), "..", "..")
		build.Stdout, build.Stderr = os.Stderr, os.Stderr
		if err := build.Run(); err != nil {
			fmt.Fprintln(os.Stderr, "build loupe:", err)
			return 1
		}
	}
	code := m.Run()
	// Agents leave the proxy's policy routing in place when they stop, as
	// they leave their programs (it is inert without marked packets);
	// tests take it away when they are done.
	if err := (proxy.Routing{}).Remove(); err != nil {
		fmt.Fprintln(os.Stderr, "remove the proxy's routing:", err)
	}
	return code
}

var labSeq atomic.Int32

// agentProc is one running agent with private bpffs, state and socket.
type agentProc struct {
	t        testing.TB
	node     string
	bpfRoot  string
	stateDir string
	socket   string
	extra    []string
	cmd      *exec.Cmd
	log      *bytes.Buffer
	conn     *grpc.ClientConn
}

// newAgent prepares an agent; start runs it.
func newAgent(t testing.TB, node string, extra ...string) *agentProc {
	t.Helper()
	testutil.RequireRoot(t)
	bpffs := testutil.TempBPFFS(t)
	dir := t.TempDir()
	a := &agentProc{
		t: t, node: node, bpfRoot: filepath.Join(bpffs, "loupe"), stateDir: filepath.Join(dir, "state"),
		socket: filepath.Join(dir, "loupe.sock"), extra: extra,
	}
	t.Cleanup(a.kill)
	return a
}

func (a *agentProc) server() string { return "unix://" + a.socket }

func (a *agentProc) start() {
	a.t.Helper()
	args := append([]string{"agent", "--node-name", a.node, "--bpf-root", a.bpfRoot, "--state-dir", a.stateDir,
		"--socket", a.socket, "--listen", "", "--loss-interval", "200ms", "--metrics-listen", "",
		"--cluster-dir", filepath.Join(filepath.Dir(a.socket), "cluster")}, a.extra...)
	a.cmd = exec.Command(loupeBin, args...)
	a.log = &bytes.Buffer{}
	a.cmd.Stdout, a.cmd.Stderr = a.log, a.log
	if err := a.cmd.Start(); err != nil {
		a.t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { a.cmd.Wait(); close(exited) }()
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-exited:
			a.t.Fatalf("agent exited: %s", a.log)
		default:
		}
		if a.status() != nil {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	a.t.Fatalf("agent did not come up: %s", a.log)
}

// kill stops the agent like a crash would.
func (a *agentProc) kill() {
	if a.conn != nil {
		a.conn.Close()
		a.conn = nil
	}
	if a.cmd != nil && a.cmd.Process != nil {
		a.cmd.Process.Signal(syscall.SIGKILL)
		for i := 0; i < 50 && a.cmd.ProcessState == nil; i++ {
			time.Sleep(20 * time.Millisecond)
		}
		a.cmd = nil
	}
}

func (a *agentProc) client() *grpc.ClientConn {
	if a.conn == nil {
		c, err := grpc.NewClient("unix://"+a.socket, grpc.WithTransportCredentials(insecure.NewCredentials()))
		if err != nil {
			a.t.Fatal(err)
		}
		a.conn = c
	}
	return a.conn
}

func (a *agentProc) status() *observer.ServerStatusResponse {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	st, err := observer.NewObserverClient(a.client()).ServerStatus(ctx, &observer.ServerStatusRequest{})
	if err != nil {
		return nil
	}
	return st
}

func (a *agentProc) endpoints() []*agentpb.Endpoint {
	a.t.Helper()
	resp, err := agentpb.NewAgentClient(a.client()).ListEndpoints(context.Background(), &agentpb.ListEndpointsRequest{})
	if err != nil {
		a.t.Fatal(err)
	}
	return resp.GetEndpoints()
}

// loupe runs the CLI and returns stdout; it fails the test on a non-zero exit.
func loupe(t testing.TB, args ...string) string {
	t.Helper()
	out, code, stderr := loupeCode(t, args...)
	if code != 0 {
		t.Fatalf("loupe %s: exit %d: %s", strings.Join(args, " "), code, stderr)
	}
	return out
}

// loupeCode runs the CLI and returns stdout, the exit code and stderr.
func loupeCode(t testing.TB, args ...string) (string, int, string) {
	t.Helper()
	var out, errb bytes.Buffer
	cmd := exec.Command(loupeBin, args...)
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return out.String(), code, errb.String()
}

// lab is one lab of namespaces registered with an agent.
type lab struct {
	t        testing.TB
	name     string
	stateDir string
	agent    *agentProc
}

// labUp writes the demo topology under a unique name and address pools and
// brings it up against agent a. It is removed when the test ends.
func labUp(t testing.TB, a *agentProc) *lab {
	t.Helper()
	n := labSeq.Add(1)
	name := fmt.Sprintf("e2e%d%d", os.Getpid()%1000, n)
	demo, err := os.ReadFile("../../deploy/lab/demo.yaml")
	if err != nil {
		t.Fatal(err)
	}
	topo := string(demo)
	topo = strings.Replace(topo, "name: demo", "name: "+name, 1)
	topo = strings.Replace(topo, "10.200.0.0/24", fmt.Sprintf("10.%d.%d.0/24", 210+n%40, os.Getpid()%250), 1)
	topo = strings.Replace(topo, "fd00:10:200::/112", fmt.Sprintf("fd00:10:%x:%x::/112", 0x210+n, os.Getpid()%0xffff), 1)
	file := filepath.Join(t.TempDir(), "topology.yaml")
	if err := os.WriteFile(file, []byte(topo), 0o644); err != nil {
		t.Fatal(err)
	}
	l := &lab{t: t, name: name, stateDir: filepath.Join(t.TempDir(), "lab"), agent: a}
	t.Cleanup(func() {
		if _, code, stderr := loupeCode(t, "lab", "down", "--name", name, "--state-dir", l.stateDir, "--server", a.server()); code != 0 {
			t.Errorf("lab down: exit %d: %s", code, stderr)
		}
	})
	loupe(t, "lab", "up", "--topology", file, "--state-dir", l.stateDir, "--server", a.server())
	return l
}

func (l *lab) run(args ...string) string {
	l.t.Helper()
	// Flags go before a "--" that ends them (lab exec).
	full := append([]string{"lab", args[0], "--state-dir", l.stateDir}, args[1:]...)
	return loupe(l.t, full...)
}

// workloads returns `lab status -o json`.
func (l *lab) workloads() []map[string]any {
	l.t.Helper()
	var ws []map[string]any
	if err := json.Unmarshal([]byte(l.run("status", "-o", "json")), &ws); err != nil {
		l.t.Fatal(err)
	}
	return ws
}
