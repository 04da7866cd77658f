// Package incidenttest fills a real ClickHouse with generated flows for the
// tests of the incident queries, their HTTP API and `loupe query`.
package incidenttest

import (
	"context"
	"testing"
	"time"

	"github.com/loupe-dev/loupe/api/flow"
	"github.com/loupe-dev/loupe/internal/flowgen"
	"github.com/loupe-dev/loupe/internal/testutil"
	"github.com/loupe-dev/loupe/query/rows"
	"github.com/loupe-dev/loupe/query/store"
)

// Fixture is a migrated store holding Flows, which span Start to End.
type Fixture struct {
	Store      *store.Store
	Flows      []*flow.Flow
	Start, End time.Time
	Workloads  []flowgen.Workload
}

// Step is the mean time between two generated flows.
const Step = 10 * time.Millisecond

// insertBatch is the flows per insert: several inserts leave several parts
// and unmerged rollup rows, which the queries must sum.
const insertBatch = 10000

// New starts a ClickHouse for the test and inserts n flows through
// rows.Block, starting at start.
func New(t testing.TB, n int, start time.Time) *Fixture {
	t.Helper()
	return NewSpaced(t, n, start, Step)
}

// NewSpaced is New with flows step apart on average: a larger step spans
// hours with few flows.
func NewSpaced(t testing.TB, n int, start time.Time, step time.Duration) *Fixture {
	t.Helper()
	srv := testutil.ClickHouse(t)
	ctx := context.Background()
	s, err := store.Open(ctx, store.Config{DSN: srv.DSN("incident")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	g := flowgen.New(7, 12, []string{"node-a", "node-b", "node-c"}, start, step)
	fx := &Fixture{Store: s, Start: start, Workloads: g.Workloads}
	b := rows.NewBlock(s.Features())
	for i := 0; i < n; i++ {
		f := g.Next()
		fx.Flows = append(fx.Flows, f)
		b.Add(f)
		if b.Len() == insertBatch || i == n-1 {
			if err := b.Insert(ctx, s.Conn()); err != nil {
				t.Fatal(err)
			}
			b.Reset()
		}
	}
	fx.End = fx.Flows[len(fx.Flows)-1].GetTime().AsTime()
	return fx
}
