package sink_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/loupe-dev/loupe/api/flow"
	"github.com/loupe-dev/loupe/deploy/clickhouse"
	"github.com/loupe-dev/loupe/internal/flowgen"
	"github.com/loupe-dev/loupe/query/sink"
	"github.com/loupe-dev/loupe/query/store"
)

// openStore opens (and migrates) database db on srv, closed at cleanup.
func openStore(t *testing.T, srv *clickhouse.Server, db string) *store.Store {
	t.Helper()
	s, err := store.Open(context.Background(), store.Config{DSN: srv.DSN(db)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// count runs a query that returns one UInt64.
func count(t *testing.T, s *store.Store, q string, args ...any) uint64 {
	t.Helper()
	var n uint64
	if err := s.Conn().QueryRow(context.Background(), q, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}

// waitFor polls cond until it holds or d passes.
func waitFor(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("after %v: %s", d, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// generate makes n flows over nodes, starting at start.
func generate(seed uint64, n int, nodes []string, start time.Time, step time.Duration) []*flow.Flow {
	return take(flowgen.New(seed, 20, nodes, start, step), n)
}

// take makes the generator's next n flows.
func take(g *flowgen.Generator, n int) []*flow.Flow {
	out := make([]*flow.Flow, n)
	for i := range out {
		out[i] = g.Next()
	}
	return out
}

// checkBalance asserts the sink's accounting identity after Stop.
func checkBalance(t *testing.T, st sink.Stats) {
	t.Helper()
	if st.Written+st.Dropped() != st.Received-st.Duplicates {
		t.Fatalf("written %d + dropped %d != received %d - duplicates %d: %+v",
			st.Written, st.Dropped(), st.Received, st.Duplicates, st)
	}
	if st.QueueDepth != 0 || st.Pending != 0 {
		t.Fatalf("after Stop: queue %d, pending %d", st.QueueDepth, st.Pending)
	}
}

func offerAll(s *sink.Sink, flows []*flow.Flow) {
	for _, f := range flows {
		s.Offer(f.NodeName, f)
	}
}

func key(f *flow.Flow) string { return fmt.Sprintf("%s/%d", f.NodeName, f.Id) }
