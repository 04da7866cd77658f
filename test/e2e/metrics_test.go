package e2e

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/loupe-dev/loupe/api/observer"
	"github.com/loupe-dev/loupe/internal/testutil"
)

// dashboardMetrics is the agent's --metrics that the dashboards read:
// every family, with the workload on both sides (docs/dashboards.md).
const dashboardMetrics = "flow:sourceContext=workload;destinationContext=workload," +
	"drop:sourceContext=workload;destinationContext=workload," +
	"policy:sourceContext=workload;destinationContext=workload," +
	"tcp:sourceContext=workload;destinationContext=workload," +
	"icmp:sourceContext=workload;destinationContext=workload," +
	"port-distribution:sourceContext=workload;destinationContext=workload," +
	"dns:sourceContext=workload;destinationContext=workload," +
	"http:sourceContext=workload;destinationContext=workload," +
	"kafka:sourceContext=workload;destinationContext=workload"

// l7Policies turns on L7 visibility for the shop once the L7 proxy has
// landed; until then the queries that only L7 flows feed are checked for
// validity, not data (waitingOnL7).
const l7Policies = "../../deploy/lab/policies/shop-l7.yaml"

// metricsRun is one lab run shared by every metrics, dashboard and alert
// check: two nodes behind a relay that writes to ClickHouse, scraped by a
// real Prometheus evaluating the shipped alert rules (with short for:).
// Node a carries the lab traffic; node b has a one-page ring buffer, an
// event per packet and a series cap of 5, for the faults.
type metricsRun struct {
	prom             *prometheusProc
	chs              clickhouseServer
	db               string
	a, b             *agentProc
	labA, labB       *lab
	relay            *relayProc
	agentA, agentB   string // metrics addresses
	relayMetrics     string
	start            time.Time
	l7               bool
	stopTraffic      func()
	alertRulesCopied string
}

// clickhouseServer is what the run needs of testutil.ClickHouse's server.
type clickhouseServer interface {
	Addr() string
	DSN(db string) string
	Stop()
	Restart(ctx context.Context) error
}

func startMetricsRun(t *testing.T) *metricsRun {
	chs := testutil.ClickHouse(t)
	m := &metricsRun{chs: chs, db: "e2e_metrics", start: time.Now()}
	cluster := t.TempDir()
	m.agentA, m.agentB, m.relayMetrics = freeLoopbackAddr(t), freeLoopbackAddr(t), freeLoopbackAddr(t)
	const nodeA, nodeB = "e2e-metrics-a", "e2e-metrics-b"
	a, addrA := newClusterAgent(t, nodeA, cluster, "--metrics-listen", m.agentA, "--metrics", dashboardMetrics)
	b, addrB := newClusterAgent(t, nodeB, cluster, "--metrics-listen", m.agentB, "--metrics", dashboardMetrics,
		"--ring-buffer-size", "4096", "--monitor-aggregation", "none", "--metrics-series-cap", "5")
	a.start()
	b.start()
	m.a, m.b = a, b
	m.labA, m.labB = labUp(t, a), labUp(t, b)
	applyPolicy(t, a, shopPolicies) // the traffic's denied attempts become drops
	if _, err := os.Stat(l7Policies); err == nil {
		applyPolicy(t, a, l7Policies)
		m.l7 = true
	}
	// A small store queue, so that a ClickHouse outage under load fills it.
	m.relay = startRelay(t, "--peers", nodeA+"="+addrA+","+nodeB+"="+addrB, "--clickhouse", chs.DSN(m.db),
		"--http-listen", freeLoopbackAddr(t), "--store-flush", "200ms", "--store-queue", "2000", "--store-batch", "500",
		"--metrics-listen", m.relayMetrics)
	m.relay.waitNodes(observer.NodeState_NODE_CONNECTED, nodeA, nodeB)
	m.alertRulesCopied = shortForRules(t)
	m.prom = startPrometheus(t, map[string][]string{"loupe-agent": {m.agentA, m.agentB}, "loupe-relay": {m.relayMetrics}},
		m.alertRulesCopied)

	// Traffic for the whole run, so that rates over 30s see it.
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
			exec.Command(loupeBin, "lab", "traffic", "--once", "--state-dir", m.labA.stateDir).Run()
		}
	}()
	var once sync.Once
	m.stopTraffic = func() { once.Do(func() { close(stop); wg.Wait() }) }
	t.Cleanup(m.stopTraffic)
	return m
}

// shortForRules copies the shipped alert rules with every for: at 1s, so
// that an alert fires within seconds of its fault.
func shortForRules(t *testing.T) string {
	b, err := os.ReadFile(alertRulesFile)
	if err != nil {
		t.Fatal(err)
	}
	short := regexp.MustCompile(`(?m)^(\s+for:\s*)\S+`).ReplaceAll(b, []byte("${1}1s"))
	file := t.TempDir() + "/loupe-rules.yaml"
	if err := os.WriteFile(file, short, 0o644); err != nil {
		t.Fatal(err)
	}
	return file
}

// TestMetricsThroughPrometheus runs the shared lab run and checks, against
// the real servers: the expressions of testdata/promql.txt, every PromQL
// query and variable of every dashboard, every SQL panel of the history
// dashboard, exemplars, and every alert rule firing under its fault.
func TestMetricsThroughPrometheus(t *testing.T) {
	m := startMetricsRun(t)

	t.Run("promtool check metrics", func(t *testing.T) {
		cmd := exec.Command("/usr/bin/promtool", "check", "metrics")
		cmd.Stdin = bytes.NewReader(scrape(t, m.agentA))
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("promtool check metrics: %v\n%s", err, out)
		}
	})
	// A client of the relay, so that flows are sent.
	if flows := observeAt(t, m.relay.addr, "--last", "20"); len(flows) == 0 {
		t.Error("the relay sent no flows to observe")
	}
	t.Run("promql.txt", func(t *testing.T) {
		var exprs []namedQuery
		for _, e := range readPromQL(t, "testdata/promql.txt") {
			exprs = append(exprs, namedQuery{where: "promql.txt", text: e})
		}
		m.requireData(t, exprs)
	})
	t.Run("dashboards PromQL", func(t *testing.T) { checkPromDashboards(t, m) })
	t.Run("dashboards ClickHouse SQL", func(t *testing.T) { checkSQLDashboard(t, m) })
	t.Run("exemplars", func(t *testing.T) { checkExemplars(t, m) })
	t.Run("alerts under faults", func(t *testing.T) { checkAlerts(t, m) })
	if t.Failed() {
		t.Logf("agent metrics:\n%s", grepLoupe(scrape(t, m.agentA)))
	}
	logWaitingOnL7(t, m)
}

// namedQuery is an expression and where it comes from.
type namedQuery struct{ where, text string }

// requireData evaluates every expression until each returns data, for at
// most a minute. An invalid expression fails at once.
func (m *metricsRun) requireData(t *testing.T, exprs []namedQuery) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	pending := exprs
	for len(pending) > 0 && time.Now().Before(deadline) {
		var next []namedQuery
		for _, q := range pending {
			res, err := m.prom.query(q.text)
			if err != nil {
				t.Errorf("%s: %s: invalid: %v", q.where, q.text, err)
				continue
			}
			if len(res.Data.Result) == 0 {
				next = append(next, q)
			}
		}
		pending = next
		if len(pending) > 0 {
			time.Sleep(time.Second)
		}
	}
	for _, q := range pending {
		t.Errorf("%s: %s: no data after 60s", q.where, q.text)
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
