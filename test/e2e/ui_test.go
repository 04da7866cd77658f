package e2e

import (
	"bufio"
	"fmt"
	"math/rand/v2"
	"os/exec"
	"strings"
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
// last hour renders from ClickHouse; with shop-l7.yaml, a traced HTTP
// request is a waterfall across frontend, catalog and cart, and a request
// for /<img/src=x/onerror=alert(1)> renders as text. Screenshots:
// ui/web/test-output/TestUILab.
func TestUILab(t *testing.T) {
	requireBrowser(t)
	chs := testutil.ClickHouse(t)
	const node = "e2e-ui"
	a, addr := newClusterAgent(t, node, t.TempDir())
	a.start()
	l := labUp(t, a)
	applyPolicy(t, a, shopPolicies)
	applyPolicy(t, a, l7Policies) // HTTP through the proxy: L7 flows with trace ids
	httpAddr := freeLoopbackAddr(t)
	r := startRelay(t, "--peers", node+"="+addr, "--clickhouse", chs.DSN("e2e_ui"), "--http-listen", httpAddr, "--store-flush", "200ms")
	r.waitNodes(observer.NodeState_NODE_CONNECTED, node)
	startTraffic(t, l)
	u := startUI(t, "--server", r.addr, "--query-api", httpAddr, "--agent", a.server())
	traceID := sendL7Requests(t, a, l)
	runBrowser(t, "lab.mjs", u.url, "--l7", "true", "--trace-id", traceID)
}

// sendL7Requests sends, from the frontend, a traced request that catalog
// passes on to cart (/chain/), and a request for
// /<img/src=x/onerror=alert(1)>, which the L7 policy denies but records.
// It returns the trace id.
func sendL7Requests(t *testing.T, a *agentProc, l *lab) string {
	t.Helper()
	ll := l7LabOf(t, a, l)
	traceID := fmt.Sprintf("%016x%016x", rand.Uint64()|1, rand.Uint64())
	for _, req := range []struct{ path, header string }{
		{"/chain/" + ll.addr("cart", "8080", false) + "/cart", "Traceparent: 00-" + traceID + "-00f067aa0ba902b7-01\r\n"},
		{"/<img/src=x/onerror=alert(1)>", ""},
	} {
		c, err := ll.dial("frontend", "tcp", ll.addr("catalog", "8080", false))
		if err != nil {
			t.Fatal(err)
		}
		_ = c.SetDeadline(time.Now().Add(10 * time.Second))
		fmt.Fprintf(c, "GET %s HTTP/1.1\r\nHost: catalog:8080\r\n%sConnection: close\r\n\r\n", req.path, req.header)
		status, err := bufio.NewReader(c).ReadString('\n')
		c.Close()
		if err != nil {
			t.Fatalf("GET %s: %v", req.path, err)
		}
		t.Logf("GET %s: %s", req.path, strings.TrimSpace(status))
	}
	return traceID
}
