package e2e

import (
	"os/exec"
	"syscall"
	"testing"
	"time"

	"github.com/loupe-dev/loupe/api/observer"
	"github.com/loupe-dev/loupe/internal/testutil"
)

// startTraffic drives the lab's traffic mix until the test ends.
func startTraffic(t *testing.T, l *lab) {
	t.Helper()
	cmd := exec.Command(loupeBin, "lab", "traffic", "--state-dir", l.stateDir, "--name", l.name, "--duration", "10m")
	log := &testutil.SyncBuffer{}
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
		}
	})
}

// TestUILab: in Debian's headless Chromium, against an agent, a relay with
// ClickHouse and the demo shop with its policies and live traffic: the map
// shows the workloads and their edges, the denied frontend -> db edge is
// red, filters narrow the table, a connection trace lists its observation
// points in order, the policy view explains the database's drops, and the
// last hour renders from ClickHouse. Screenshots: ui/web/test-output.
func TestUILab(t *testing.T) {
	requireBrowser(t)
	chs := testutil.ClickHouse(t)
	const node = "e2e-ui"
	a, addr := newClusterAgent(t, node, t.TempDir())
	a.start()
	l := labUp(t, a)
	applyPolicy(t, a, shopPolicies)
	httpAddr := freeLoopbackAddr(t)
	r := startRelay(t, "--peers", node+"="+addr, "--clickhouse", chs.DSN("e2e_ui"), "--http-listen", httpAddr, "--store-flush", "200ms")
	r.waitNodes(observer.NodeState_NODE_CONNECTED, node)
	startTraffic(t, l)
	u := startUI(t, "--server", r.addr, "--query-api", httpAddr, "--agent", a.server())
	runBrowser(t, "lab.mjs", u.url, "--l7", l7Landed(t))
}

// l7Landed tells the browser test to check the HTTP request waterfall once
// the L7 proxy and its lab policy exist (deploy/lab/policies/shop-l7.yaml).
func l7Landed(t *testing.T) string {
	return "false"
}
