package e2e

import (
	"bytes"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/loupe-dev/loupe/api/observer"
	"github.com/loupe-dev/loupe/internal/testutil"
)

// TestMetricsThroughPrometheus runs a lab with a denying policy under an
// agent and a relay writing to ClickHouse, has a real Prometheus scrape
// both, and checks that every expression of testdata/promql.txt is valid
// and returns data. It also lints the agent's exposition with promtool.
func TestMetricsThroughPrometheus(t *testing.T) {
	chs := testutil.ClickHouse(t)
	const db = "e2e_metrics"
	const node = "e2e-metrics-a"
	agentMetrics, relayMetrics := freeLoopbackAddr(t), freeLoopbackAddr(t)
	a, addr := newClusterAgent(t, node, t.TempDir(), "--metrics-listen", agentMetrics,
		"--metrics", "flow:sourceContext=workload;destinationContext=workload,drop:sourceContext=namespace,policy,tcp,icmp,port-distribution,dns,http,kafka")
	a.start()
	l := labUp(t, a)
	applyPolicy(t, a, shopPolicies) // the traffic's denied attempts become drops
	r := startRelay(t, "--peers", node+"="+addr, "--clickhouse", chs.DSN(db), "--http-listen", freeLoopbackAddr(t),
		"--store-flush", "200ms", "--metrics-listen", relayMetrics)
	r.waitNodes(observer.NodeState_NODE_CONNECTED, node)
	prom := startPrometheus(t, map[string]string{"agent": agentMetrics, "relay": relayMetrics})

	// Traffic for the whole check, so that rates over 30s see it.
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-stop:
				return
			default:
			}
			// Not l.run: t.Fatal is not for other goroutines.
			exec.Command(loupeBin, "lab", "traffic", "--once", "--state-dir", l.stateDir).Run()
		}
	}()
	defer func() { close(stop); wg.Wait() }()

	t.Run("promtool check metrics", func(t *testing.T) {
		cmd := exec.Command("/usr/bin/promtool", "check", "metrics")
		cmd.Stdin = bytes.NewReader(scrape(t, agentMetrics))
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("promtool check metrics: %v\n%s", err, out)
		}
	})

	// A client of the relay, so that flows are sent.
	if flows := observeAt(t, r.addr, "--last", "20"); len(flows) == 0 {
		t.Error("the relay sent no flows to observe")
	}

	exprs := readPromQL(t, "testdata/promql.txt")
	deadline := time.Now().Add(60 * time.Second)
	pending := exprs
	for len(pending) > 0 && time.Now().Before(deadline) {
		var next []string
		for _, expr := range pending {
			res, err := prom.query(expr)
			if err != nil {
				t.Errorf("%s: invalid: %v", expr, err)
				continue
			}
			if len(res.Data.Result) == 0 {
				next = append(next, expr)
			}
		}
		pending = next
		if len(pending) > 0 {
			time.Sleep(time.Second)
		}
	}
	for _, expr := range pending {
		t.Errorf("%s: no data after 60s", expr)
	}
	if t.Failed() {
		t.Logf("agent metrics:\n%s", grepLoupe(scrape(t, agentMetrics)))
		t.Logf("relay metrics:\n%s", grepLoupe(scrape(t, relayMetrics)))
	}
	t.Logf("%d of %d expressions returned data", len(exprs)-len(pending), len(exprs))
}

// grepLoupe keeps loupe's samples of an exposition, for failure messages.
func grepLoupe(b []byte) string {
	var out []string
	for line := range strings.Lines(string(b)) {
		if strings.HasPrefix(line, "loupe_") {
			out = append(out, strings.TrimSpace(line))
		}
	}
	return strings.Join(out, "\n")
}
