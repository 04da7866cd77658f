package sink_test

import (
	"context"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/loupe-dev/loupe/api/flow"
	"github.com/loupe-dev/loupe/internal/flowgen"
	"github.com/loupe-dev/loupe/internal/testutil"
	"github.com/loupe-dev/loupe/query/sink"
)

// since is what a collector sends again after a reconnect: its flows from
// the resume point on.
func since(flows []*flow.Flow, node string, from time.Time) []*flow.Flow {
	var out []*flow.Flow
	for _, f := range flows {
		if f.NodeName == node && !f.Time.AsTime().Before(from) {
			out = append(out, f)
		}
	}
	return out
}

// jitter swaps neighbours at random: flows of one node arrive a few ms out
// of order.
func jitter(flows []*flow.Flow, seed uint64) {
	r := rand.New(rand.NewPCG(seed, seed))
	for i := 1; i < len(flows); i++ {
		if r.IntN(3) == 0 {
			flows[i-1], flows[i] = flows[i], flows[i-1]
		}
	}
}

// TestNoDuplicates re-offers flows as a reconnect does, then as a relay
// restart does (a new Sink on the same database): ClickHouse ends up with
// every flow once.
func TestNoDuplicates(t *testing.T) {
	srv := testutil.ClickHouse(t)
	ctx := context.Background()
	nodes := []string{"node-a", "node-b"}
	// 3 s of flows: longer than the 2 s slack, so the window is tested.
	g := flowgen.New(2, 20, nodes, time.Now().Add(-time.Hour), 100*time.Microsecond)
	first := take(g, 30_000)
	jitter(first, 2)
	cfg := sink.Config{Store: openStore(t, srv, "dedup"), BatchSize: 5000, FlushInterval: 100 * time.Millisecond}

	a := sink.New(cfg)
	a.Start(ctx)
	offerAll(a, first)
	resumeA := map[string]time.Time{}
	var again uint64
	for _, n := range nodes {
		from, err := a.Since(ctx, n)
		if err != nil {
			t.Fatal(err)
		}
		resumeA[n] = from
		replay := since(first, n, from)
		if len(replay) == 0 || len(replay) == len(since(first, n, time.Time{})) {
			t.Fatalf("node %s: resume point %v replays %d flows: want some, not all", n, from, len(replay))
		}
		again += uint64(len(replay))
		offerAll(a, replay)
	}
	a.Stop()
	st := a.Stats()
	checkBalance(t, st)
	if st.Duplicates != again || st.Written != uint64(len(first)) {
		t.Fatalf("reconnect: %+v, want %d duplicates and %d written", st, again, len(first))
	}

	// A relay restart: a new sink and a new connection learn the resume
	// point and the recent ids from ClickHouse.
	cfg.Store = openStore(t, srv, "dedup")
	b := sink.New(cfg)
	b.Start(ctx)
	again = 0
	for _, n := range nodes {
		from, err := b.Since(ctx, n)
		if err != nil {
			t.Fatal(err)
		}
		if !from.Equal(resumeA[n]) {
			t.Fatalf("node %s: resumes at %v after a restart, %v before", n, from, resumeA[n])
		}
		replay := since(first, n, from)
		again += uint64(len(replay))
		offerAll(b, replay)
	}
	next := take(g, 10_000)
	offerAll(b, next)
	b.Stop()
	st = b.Stats()
	checkBalance(t, st)
	if st.Duplicates != again || st.Written != uint64(len(next)) {
		t.Fatalf("restart: %+v, want %d duplicates and %d written", st, again, len(next))
	}
	total := uint64(len(first) + len(next))
	if c := count(t, cfg.Store, "SELECT count() FROM flows"); c != total {
		t.Fatalf("count() %d, want %d", c, total)
	}
	if c := count(t, cfg.Store, "SELECT uniqExact(node_name, id) FROM flows"); c != total {
		t.Fatalf("%d distinct ids, want %d", c, total)
	}
}
