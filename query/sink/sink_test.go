package sink_test

import (
	"context"
	"testing"
	"time"

	"github.com/loupe-dev/loupe/internal/testutil"
	"github.com/loupe-dev/loupe/query/sink"
)

// TestRoundTrip writes 100k generated flows and checks every counter and
// the table.
func TestRoundTrip(t *testing.T) {
	srv := testutil.ClickHouse(t)
	st := openStore(t, srv, "roundtrip")
	ctx := context.Background()
	nodes := []string{"node-a", "node-b", "node-c"}
	s := sink.New(sink.Config{Store: st, BatchSize: 10_000, FlushInterval: 200 * time.Millisecond})
	s.Start(ctx)
	for _, n := range nodes {
		since, err := s.Since(ctx, n)
		if err != nil {
			t.Fatal(err)
		}
		if !since.IsZero() {
			t.Fatalf("Since(%s) on an empty table: %v, want zero", n, since)
		}
	}
	const n = 100_000
	offerAll(s, generate(1, n, nodes, time.Now().Add(-time.Minute), 500*time.Microsecond))
	waitFor(t, 30*time.Second, "flows not written", func() bool { return s.Stats().Written == n })
	s.Stop()

	got := s.Stats()
	want := sink.Stats{Received: n, Written: n, QueueCapacity: got.QueueCapacity,
		LastBatchLatency: got.LastBatchLatency}
	if got != want {
		t.Fatalf("stats %+v, want %+v", got, want)
	}
	if c := count(t, st, "SELECT count() FROM flows"); c != n {
		t.Fatalf("count() %d, want %d", c, n)
	}
	if c := count(t, st, "SELECT uniqExact(node_name, id) FROM flows"); c != n {
		t.Fatalf("%d distinct ids, want %d", c, n)
	}
	if c := count(t, st, "SELECT sum(flows) FROM edges_1m"); c == 0 {
		t.Fatal("the service-map rollup is empty")
	}
}
