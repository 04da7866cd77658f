package e2e

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	ch "github.com/ClickHouse/clickhouse-go/v2"

	"github.com/loupe-dev/loupe/api/observer"
	"github.com/loupe-dev/loupe/internal/testutil"
)

// clickhouseCount returns count() and the distinct (node, id) pairs of the
// flows table.
func clickhouseCount(t *testing.T, addr, db string) (rows, distinct uint64) {
	t.Helper()
	conn, err := ch.Open(&ch.Options{Addr: []string{addr}, Auth: ch.Auth{Database: db}})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	var out []struct {
		Rows     uint64 `ch:"rows"`
		Distinct uint64 `ch:"distinct"`
	}
	if err := conn.Select(context.Background(), &out,
		"SELECT count() AS rows, uniqExact(node_name, id) AS distinct FROM flows"); err != nil {
		return 0, 0 // not created yet
	}
	return out[0].Rows, out[0].Distinct
}

// waitStored waits until ClickHouse holds at least n flows.
func waitStored(t *testing.T, addr, db string, n uint64) uint64 {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		rows, _ := clickhouseCount(t, addr, db)
		if rows >= n {
			return rows
		}
		if time.Now().After(deadline) {
			t.Fatalf("ClickHouse holds %d flows, want at least %d", rows, n)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// TestRelayHistory: a relay with ClickHouse stores every flow once (a relay
// restart re-reads the nodes without duplicates), answers --since beyond
// the agent's small buffer from ClickHouse, and serves incident queries.
func TestRelayHistory(t *testing.T) {
	chs := testutil.ClickHouse(t)
	const db = "e2e_history"
	cluster := t.TempDir()
	const node = "e2e-hist-a"
	// A small ring: the agent forgets quickly, history must not.
	a, addr := newClusterAgent(t, node, cluster, "--flow-buffer-size", "512")
	a.start()
	l := labUp(t, a)
	applyPolicy(t, a, shopPolicies) // the traffic's denied attempts become drops
	httpAddr := freeLoopbackAddr(t)
	relayArgs := []string{"--peers", node + "=" + addr, "--clickhouse", chs.DSN(db),
		"--http-listen", httpAddr, "--store-flush", "200ms"}
	r := startRelay(t, relayArgs...)
	r.waitNodes(observer.NodeState_NODE_CONNECTED, node)
	start := time.Now()

	for range 3 {
		l.run("traffic", "--once")
	}
	seen := a.status().GetSeenFlows()
	if seen <= 512 {
		t.Fatalf("the agent saw only %d flows; the test needs its 512-flow ring to wrap", seen)
	}
	stored := waitStored(t, chs.Addr(), db, seen)
	t.Logf("agent saw %d flows, ClickHouse holds %d", seen, stored)

	// A restarted relay stores nothing twice, and misses nothing the
	// agent still held while it was down.
	r.stop()
	l.run("traffic", "--once")
	r = startRelay(t, relayArgs...)
	r.waitNodes(observer.NodeState_NODE_CONNECTED, node)
	l.run("traffic", "--once")
	seen = a.status().GetSeenFlows()
	waitStored(t, chs.Addr(), db, seen)
	time.Sleep(time.Second) // let any duplicate arrive
	if rows, distinct := clickhouseCount(t, chs.Addr(), db); rows != distinct || rows < seen {
		t.Fatalf("after a relay restart ClickHouse holds %d rows for %d distinct flows; the agent saw %d", rows, distinct, seen)
	}

	t.Run("since beyond the live buffer comes from ClickHouse", func(t *testing.T) {
		since := start.Add(-time.Second).UTC().Format(time.RFC3339Nano)
		live := flowsOf(observeJSON(t, a, "--since", since))
		if len(live) > 512 {
			t.Fatalf("the agent returned %d flows from a 512-flow ring", len(live))
		}
		all := flowsOf(observeAt(t, r.addr, "--since", since))
		checkTimeOrder(t, all)
		rows, _ := clickhouseCount(t, chs.Addr(), db)
		if uint64(len(all)) < rows-uint64(len(live)) || len(all) <= len(live) {
			t.Fatalf("--since through the relay: %d flows; the agent holds %d, ClickHouse %d", len(all), len(live), rows)
		}
		// The same filter gives the same flows live and from history: the
		// flows the agent still holds are in the relay's answer.
		dropped := flowsOf(observeAt(t, r.addr, "--since", since, "--verdict", "DROPPED"))
		for _, f := range dropped {
			if f.GetVerdict().String() != "DROPPED" {
				t.Fatalf("--verdict DROPPED returned a %s flow", f.GetVerdict())
			}
		}
		if len(dropped) == 0 {
			t.Fatal("no DROPPED flow in history: the lab's traffic has denied attempts")
		}
		t.Logf("relay answered %d flows (%d dropped), agent holds %d", len(all), len(dropped), len(live))
	})

	t.Run("incident queries", func(t *testing.T) {
		out := loupe(t, "query", "service-map", "--server", httpAddr, "--since", "10m", "-o", "json")
		var sm map[string]any
		if err := json.Unmarshal([]byte(out), &sm); err != nil {
			t.Fatalf("service-map -o json: %v\n%s", err, out)
		}
		if !strings.Contains(out, "frontend") || !strings.Contains(out, "catalog") {
			t.Fatalf("the service map has no frontend -> catalog edge:\n%s", out)
		}
		table := loupe(t, "query", "drops", "--server", httpAddr, "--since", "10m", "--by", "reason")
		if !strings.Contains(table, "POLICY") && !strings.Contains(table, "policy") {
			t.Fatalf("drops by reason has no policy drops:\n%s", table)
		}
	})

	t.Run("bad input", func(t *testing.T) {
		for _, args := range [][]string{
			{"query", "bogus", "--server", httpAddr},
			{"query", "drops", "--server", httpAddr, "--since", "yesterday-ish"},
			{"query", "drops", "--server", httpAddr, "--by", "workload; DROP TABLE flows"},
			{"observe", "--server", r.addr, "--since", "2h", "--until", "garbage"},
		} {
			if _, code, stderr := loupeCode(t, args...); code != 2 || stderr == "" {
				t.Errorf("loupe %s: exit %d, stderr %q; want 2 and a message", strings.Join(args, " "), code, stderr)
			}
		}
		// What would be injection if spliced is refused (label values
		// have a syntax) or matched literally (names), from history too.
		if _, code, _ := loupeCode(t, "observe", "--server", r.addr, "--since", "10m", "--to-label", "app=x' OR 1=1 --"); code != 2 {
			t.Errorf("an injection attempt as a label value: exit %d, want 2", code)
		}
		for _, flag := range []string{"--to-namespace", "--from-workload"} {
			if got := flowsOf(observeAt(t, r.addr, "--since", "10m", flag, "x' OR 1=1 --")); len(got) != 0 {
				t.Fatalf("%s \"x' OR 1=1 --\" matched %d flows", flag, len(got))
			}
		}
		rows, distinct := clickhouseCount(t, chs.Addr(), db)
		if rows == 0 || rows != distinct {
			t.Fatalf("after bad input ClickHouse holds %d rows, %d distinct", rows, distinct)
		}
	})
}
