package incident_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	ch "github.com/ClickHouse/clickhouse-go/v2"

	"github.com/loupe-dev/loupe/deploy/clickhouse"
	"github.com/loupe-dev/loupe/internal/testutil"
	"github.com/loupe-dev/loupe/query/incident"
	"github.com/loupe-dev/loupe/query/rows"
	"github.com/loupe-dev/loupe/query/store"
)

// benchRuns is how many times each query runs; the p50 is reported.
const benchRuns = 11

// benchChunk is the flows per INSERT ... SELECT.
const benchChunk = 2_000_000

// BenchmarkIncidentQueries stores LOUPE_BENCH_FLOWS flows (100M by
// default) over 24 h in a real ClickHouse, then times a 1 h incident query
// on the raw flows (label filter and verdict, newest 100, as the history
// reader asks) and a 24 h service map from the rollups. It prints BENCH
// lines; it is a measurement, not a pass/fail test. Run it with
// LOUPE_BENCH=1 (make bench does); LOUPE_BENCH_DIR keeps the flows between
// runs.
func BenchmarkIncidentQueries(b *testing.B) {
	if os.Getenv("LOUPE_BENCH") != "1" {
		b.Skip("set LOUPE_BENCH=1 to run (LOUPE_BENCH_FLOWS scales it, default 100000000)")
	}
	total := uint64(100_000_000)
	if v := os.Getenv("LOUPE_BENCH_FLOWS"); v != "" {
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil || n < 1000 {
			b.Fatalf("LOUPE_BENCH_FLOWS=%q: want a number of flows, at least 1000", v)
		}
		total = n
	}
	srv := benchServer(b)
	ctx := context.Background()
	// An INSERT ... SELECT of a chunk sends nothing until it is done.
	s, err := store.Open(ctx, store.Config{DSN: srv.DSN("bench") + "?read_timeout=1h"})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()

	// 24 h that cross midnight, so two daily partitions, like "the last 24 h".
	t0 := time.Date(2026, 3, 6, 9, 0, 0, 0, time.UTC)
	t1 := t0.Add(24 * time.Hour)
	fillBench(b, s, total, t0, t1)

	reader := incident.New(s.Conn())
	history := historyQuery(s, t1.Add(-time.Hour), t1)
	var stats []string
	measure := func(name string, run func(context.Context) error) float64 {
		var ms []float64
		var read progress
		for i := 0; i < benchRuns; i++ {
			read = progress{}
			start := time.Now()
			if err := run(ch.Context(ctx, ch.WithProgress(read.add))); err != nil {
				b.Fatalf("%s: %v", name, err)
			}
			ms = append(ms, float64(time.Since(start).Microseconds())/1000)
		}
		first := ms[0]
		slices.Sort(ms)
		stats = append(stats, fmt.Sprintf("BENCH %s first_ms=%.1f min_ms=%.1f p50_ms=%.1f max_ms=%.1f read_rows=%d read_bytes=%d",
			name, first, ms[0], ms[len(ms)/2], ms[len(ms)-1], read.rows, read.bytes))
		return ms[len(ms)/2]
	}
	incident1h := measure("incident_1h", history.run)
	twoPhase := measure("incident_1h_two_phase", history.runTwoPhase)
	serviceMap := measure("service_map_24h", func(ctx context.Context) error {
		m, err := reader.ServiceMap(ctx, incident.Params{Since: t0, Until: t1})
		if err == nil && len(m.Edges) == 0 {
			err = fmt.Errorf("no edges")
		}
		return err
	})
	for _, l := range stats {
		fmt.Println(l)
	}
	fmt.Printf("BENCH incident_1h_p50_ms=%.1f service_map_24h_p50_ms=%.1f flows=%d server=%s\n",
		incident1h, serviceMap, total, s.Features().Version)
	fmt.Printf("BENCH proposed incident_1h_two_phase_p50_ms=%.1f\n", twoPhase)
}

// benchServer starts ClickHouse in a temporary directory, or in
// LOUPE_BENCH_DIR, where the generated flows are kept for the next run.
func benchServer(b *testing.B) *clickhouse.Server {
	dir := os.Getenv("LOUPE_BENCH_DIR")
	if dir == "" {
		return testutil.ClickHouse(b)
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		b.Fatal(err)
	}
	log, err := os.OpenFile(filepath.Join(dir, "stdout.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o640)
	if err != nil {
		b.Fatal(err)
	}
	srv, err := clickhouse.Start(context.Background(), clickhouse.Options{Dir: filepath.Join(dir, "ch"), Log: log})
	if err != nil {
		log.Close()
		b.Fatal(err)
	}
	b.Cleanup(func() {
		srv.Stop()
		log.Close()
	})
	return srv
}

// progress sums the server's progress packets: what a query read.
type progress struct{ rows, bytes uint64 }

func (p *progress) add(q *ch.Progress) {
	p.rows += q.Rows
	p.bytes += q.Bytes
}

// fillBench inserts total flows over [t0, t1), two INSERTs at a time (one
// per CPU), then merges every table to one part per partition and prints
// what the tables hold. A store that already holds total flows is kept.
func fillBench(b *testing.B, s *store.Store, total uint64, t0, t1 time.Time) {
	ctx := context.Background()
	var have []struct {
		N uint64 `ch:"n"`
	}
	if err := s.Conn().Select(ctx, &have, "SELECT count() AS n FROM flows"); err != nil {
		b.Fatal(err)
	}
	if have[0].N == total {
		fmt.Printf("BENCH reuse flows=%d\n", total)
		printParts(b, s)
		return
	}
	if have[0].N != 0 {
		b.Fatalf("the bench database holds %d flows, want 0 or %d: remove LOUPE_BENCH_DIR", have[0].N, total)
	}
	step := t1.Sub(t0) / time.Duration(total)
	start := time.Now()
	chunks := make(chan uint64)
	errs := make(chan error, 2)
	var wg sync.WaitGroup
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for off := range chunks {
				n := min(benchChunk, total-off)
				if err := s.Conn().Exec(ctx, benchInsert(off, n, t0, step, s.Features().DateTime64)); err != nil {
					errs <- fmt.Errorf("generate flows %d to %d: %w", off, off+n, err)
					return
				}
			}
		}()
	}
feed:
	for off := uint64(0); off < total; off += benchChunk {
		select {
		case chunks <- off:
		case err := <-errs:
			errs <- err
			break feed
		}
	}
	close(chunks)
	wg.Wait()
	select {
	case err := <-errs:
		b.Fatal(err)
	default:
	}
	fmt.Printf("BENCH generate flows=%d seconds=%.0f\n", total, time.Since(start).Seconds())
	start = time.Now()
	for _, t := range []string{"flows", "edges_1m", "drops_1m", "l7_1m"} {
		if err := s.Conn().Exec(ctx, "OPTIMIZE TABLE "+t+" FINAL"); err != nil {
			b.Fatalf("optimize %s: %v", t, err)
		}
	}
	fmt.Printf("BENCH optimize seconds=%.0f\n", time.Since(start).Seconds())
	printParts(b, s)
}

func printParts(b *testing.B, s *store.Store) {
	var parts []struct {
		Table string `ch:"table"`
		Parts uint64 `ch:"parts"`
		Rows  uint64 `ch:"rows"`
		Bytes uint64 `ch:"bytes"`
	}
	if err := s.Conn().Select(context.Background(), &parts, "SELECT table, count() AS parts, sum(rows) AS rows, sum(bytes) AS bytes "+
		"FROM system.parts WHERE database = ? AND active GROUP BY table ORDER BY table", s.Database()); err != nil {
		b.Fatal(err)
	}
	for _, p := range parts {
		fmt.Printf("BENCH table=%s parts=%d rows=%d bytes_on_disk=%d\n", p.Table, p.Parts, p.Rows, p.Bytes)
	}
}

// history is the 1 h incident query on raw flows: "what was dropped on its
// way to app=db in the last hour, newest first".
type history struct {
	s            *store.Store
	table        string
	since, until time.Time
}

func historyQuery(s *store.Store, since, until time.Time) history {
	return history{s: s, table: "flows", since: since, until: until}
}

// where is the window and filter, with their arguments. On 18.16 time
// holds seconds (it prunes on the sort key) and time_ns is exact.
func (h history) where() (string, []any) {
	return "time >= toDateTime(?) AND time < toDateTime(?) AND time_ns >= ? AND time_ns < ? " +
			"AND has(dst_labels, ?) AND verdict = ?",
		[]any{uint32(h.since.Unix()), uint32(h.until.Unix()), uint64(h.since.UnixNano()), uint64(h.until.UnixNano()), "app=db", "DROPPED"}
}

// run asks in one query, as query/history does: every column of the
// newest 100 matching flows, decoded into flows.
func (h history) run(ctx context.Context) error {
	where, args := h.where()
	return h.scan(ctx, "SELECT "+rows.ReadColumns+" FROM "+h.table+" WHERE "+where+" ORDER BY time_ns DESC, node_name DESC, id DESC LIMIT 100", args)
}

// runTwoPhase finds the newest 100 reading the filter columns only, then
// reads every column of those rows alone: the window narrowed to their
// seconds and the sort key to their workloads, so that ClickHouse reads a
// few granules. The shape proposed for the history reader.
func (h history) runTwoPhase(ctx context.Context) error {
	where, args := h.where()
	var keys []struct {
		T         uint64 `ch:"time_ns"`
		Namespace string `ch:"dst_namespace"`
		Workload  string `ch:"dst_workload"`
	}
	if err := h.s.Conn().Select(ctx, &keys, "SELECT time_ns, dst_namespace, dst_workload FROM flows WHERE "+where+
		" ORDER BY time_ns DESC, node_name DESC, id DESC LIMIT 100", args...); err != nil {
		return err
	}
	if len(keys) == 0 {
		return fmt.Errorf("no flows match")
	}
	lo, hi := keys[len(keys)-1].T, keys[0].T
	args = []any{uint32(lo / 1e9), uint32(hi / 1e9)}
	var pairs, times []string
	seen := map[[2]string]bool{}
	for _, k := range keys {
		if p := [2]string{k.Namespace, k.Workload}; !seen[p] {
			seen[p] = true
			pairs = append(pairs, "(?, ?)")
			args = append(args, k.Namespace, k.Workload)
		}
	}
	for _, k := range keys {
		times = append(times, "?")
		args = append(args, k.T)
	}
	q := "SELECT " + rows.ReadColumns + " FROM flows WHERE time >= toDateTime(?) AND time <= toDateTime(?) " +
		"AND (dst_namespace, dst_workload) IN (" + strings.Join(pairs, ", ") + ") " +
		"AND time_ns IN (" + strings.Join(times, ", ") + ") AND has(dst_labels, ?) AND verdict = ? ORDER BY time_ns DESC, node_name DESC, id DESC LIMIT 100"
	return h.scan(ctx, q, append(args, "app=db", "DROPPED"))
}

func (h history) scan(ctx context.Context, q string, args []any) error {
	r, err := h.s.Conn().Query(ctx, q, args...)
	if err != nil {
		return err
	}
	defer r.Close()
	sc := rows.NewScanner()
	n := 0
	for r.Next() {
		if _, err := sc.Scan(r); err != nil {
			return err
		}
		n++
	}
	if err := r.Err(); err != nil {
		return err
	}
	if n == 0 {
		return fmt.Errorf("no flows match")
	}
	return nil
}
