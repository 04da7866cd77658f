package sink_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/loupe-dev/loupe/internal/testutil"
	"github.com/loupe-dev/loupe/query/sink"
)

// TestRetentionDropsOldPartitions: on a server without TTL, a sink with a
// retention drops the day partitions of flows and rollups older than it.
func TestRetentionDropsOldPartitions(t *testing.T) {
	srv := testutil.ClickHouse(t)
	st := openStore(t, srv, "retention")
	if st.Features().TTL {
		t.Skip("the server has TTL: the schema expires rows")
	}
	ctx := context.Background()
	now := time.Now()
	flows := generate(8, 2000, []string{"node-a"}, now.Add(-time.Hour), time.Millisecond)
	old, recent := flows[:1000], flows[1000:]
	for _, f := range old {
		f.Time = timestamppb.New(f.Time.AsTime().AddDate(0, 0, -40))
	}
	w := sink.New(sink.Config{Store: st})
	w.Start(ctx)
	offerAll(w, old)
	offerAll(w, recent)
	w.Stop()
	if got := w.Stats().Written; got != 2000 {
		t.Fatalf("wrote %d flows, want 2000", got)
	}

	tables := []string{"flows", "edges_1m", "drops_1m", "l7_1m"}
	days := func() map[string]uint64 {
		var rows []struct {
			Table string `ch:"table"`
			Days  uint64 `ch:"days"`
		}
		q := "SELECT table, uniqExact(partition_id) AS days FROM system.parts WHERE database = 'retention' AND active GROUP BY table"
		if err := st.Conn().Select(ctx, &rows, q); err != nil {
			t.Fatal(err)
		}
		out := map[string]uint64{}
		for _, r := range rows {
			if slices.Contains(tables, r.Table) {
				out[r.Table] = r.Days
			}
		}
		return out
	}
	for tb, n := range days() {
		if n < 2 {
			t.Fatalf("%s: %d day partitions before retention, want 2 (or 3 around midnight)", tb, n)
		}
	}
	if len(days()) != len(tables) {
		t.Fatalf("partitions %v: want every table", days())
	}

	j := sink.New(sink.Config{Store: st, RetentionDays: 30})
	j.Start(ctx)
	defer j.Stop()
	waitFor(t, 10*time.Second, "old partitions not dropped", func() bool {
		for _, n := range days() {
			if n > 2 {
				return false
			}
		}
		return count(t, st, "SELECT count() FROM flows") == 1000
	})
	if c := count(t, st, "SELECT count() FROM flows WHERE time_ns < ?", uint64(now.AddDate(0, 0, -30).UnixNano())); c != 0 {
		t.Fatalf("%d flows older than the retention remain", c)
	}
	if c := count(t, st, "SELECT sum(flows) FROM edges_1m WHERE minute < now() - INTERVAL 30 DAY"); c != 0 {
		t.Fatalf("%d old flows remain in the service-map rollup", c)
	}
}
