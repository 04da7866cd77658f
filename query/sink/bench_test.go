package sink_test

import (
	"context"
	"fmt"
	"os"
	"runtime/pprof"
	"strconv"
	"testing"
	"time"

	"github.com/loupe-dev/loupe/internal/flowgen"
	"github.com/loupe-dev/loupe/internal/testutil"
	"github.com/loupe-dev/loupe/query/rows"
	"github.com/loupe-dev/loupe/query/sink"
	"github.com/loupe-dev/loupe/query/store"
)

// The ingest benchmark runs only with LOUPE_BENCH=1 (make bench): it takes
// minutes and its figures are reported, never asserted.
const benchBatch = 50_000

// TestBenchIngest measures sustained ingest through the sink next to a raw
// native insert of the same pre-built rows, in the same run on the same
// server, then the bytes per flow on disk after merges. It prints BENCH
// lines.
func TestBenchIngest(t *testing.T) {
	if os.Getenv("LOUPE_BENCH") != "1" {
		t.Skip("set LOUPE_BENCH=1 to run the ingest benchmark")
	}
	d := 60 * time.Second
	if s := os.Getenv("LOUPE_BENCH_SECONDS"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n <= 0 {
			t.Fatalf("LOUPE_BENCH_SECONDS=%q: want a positive number", s)
		}
		d = time.Duration(n) * time.Second
	}
	srv := testutil.ClickHouse(t)
	raw := openStore(t, srv, "bench_raw")
	snk := openStore(t, srv, "bench_sink")

	rawRate := benchRaw(t, raw, d)
	waitMerges(t, raw)
	sinkRate := benchSink(t, snk, d)
	fmt.Printf("BENCH ingest_sink_flows_per_s=%.0f ingest_raw_flows_per_s=%.0f ratio=%.2f seconds=%.0f batch=%d clickhouse=%s\n",
		sinkRate, rawRate, sinkRate/rawRate, d.Seconds(), benchBatch, snk.Features().Version)
	// The ingest phases reuse their rows, which would compress too well:
	// bytes on disk are measured on fresh flows.
	benchBytes(t, openStore(t, srv, "bench_bytes"), 1_000_000)
}

// benchRaw inserts one pre-built block of benchBatch rows over and over:
// PrepareBatch, column appends, Send, as plain as the driver allows.
func benchRaw(t *testing.T, st *store.Store, d time.Duration) float64 {
	ctx := context.Background()
	b := rows.NewBlock(st.Features())
	for _, f := range generate(10, benchBatch, []string{"node-a", "node-b"}, time.Now(), 4*time.Microsecond) {
		b.Add(f)
	}
	var n int
	start := time.Now()
	for time.Since(start) < d {
		if err := b.Insert(ctx, st.Conn()); err != nil {
			t.Fatal(err)
		}
		n += b.Len()
	}
	return float64(n) / time.Since(start).Seconds()
}

// benchSink offers flows through a sink as fast as it writes them. The
// flows are pre-built and reused once the sink has written them, with a new
// id and time, so that generating them costs nothing in the measurement.
func benchSink(t *testing.T, st *store.Store, d time.Duration) float64 {
	const queue = 200_000
	s := sink.New(sink.Config{Store: st, QueueSize: queue, BatchSize: benchBatch})
	s.Start(context.Background())
	defer s.Stop()
	// A flow is reused once the sink has counted it written: the count
	// is an atomic, stored after the flow was read.
	pool := generate(11, queue+benchBatch, []string{"node-a", "node-b"}, time.Now(), time.Microsecond)
	if f := os.Getenv("LOUPE_BENCH_CPUPROFILE"); f != "" {
		stop := startProfile(t, f)
		defer stop()
	}
	const chunk = 4096
	t0 := time.Now().UnixNano()
	start := time.Now()
	var offered uint64
	for time.Since(start) < d {
		// Offer the next chunk when the queue has room for it and
		// every flow it reuses has been written.
		for {
			st := s.Stats()
			room := st.QueueDepth+chunk <= st.QueueCapacity
			reusable := offered+chunk <= uint64(len(pool)) || st.Written+st.Dropped() >= offered+chunk-uint64(len(pool))
			if room && reusable {
				break
			}
			time.Sleep(100 * time.Microsecond)
		}
		for range chunk {
			f := pool[offered%uint64(len(pool))]
			offered++
			f.Id = offered
			ns := t0 + int64(offered)*4000 // 250k flows/s
			f.Time.Seconds, f.Time.Nanos = ns/1e9, int32(ns%1e9)
			s.Offer(f.NodeName, f)
		}
	}
	written := s.Stats().Written
	elapsed := time.Since(start)
	if st := s.Stats(); st.Dropped() != 0 {
		t.Errorf("the sink dropped flows under a paced load: %+v", st)
	}
	return float64(written) / elapsed.Seconds()
}

func startProfile(t *testing.T, path string) func() {
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		t.Fatal(err)
	}
	return func() { pprof.StopCPUProfile(); f.Close() }
}

// waitMerges waits until the server merges nothing, so that one phase's
// background work does not slow the next.
func waitMerges(t *testing.T, st *store.Store) {
	deadline := time.Now().Add(2 * time.Minute)
	for time.Now().Before(deadline) && count(t, st, "SELECT count() FROM system.merges") > 0 {
		time.Sleep(500 * time.Millisecond)
	}
}

// benchBytes writes n generated flows (250k/s of flow time) through a
// sink, merges every table down and prints bytes on disk per flow, for the
// flows table and for each rollup.
func benchBytes(t *testing.T, st *store.Store, n int) {
	ctx := context.Background()
	s := sink.New(sink.Config{Store: st, BatchSize: benchBatch})
	s.Start(ctx)
	g := flowgen.New(12, 20, []string{"node-a", "node-b"}, time.Now(), 4*time.Microsecond)
	for range n {
		for s.Stats().QueueDepth == s.Stats().QueueCapacity {
			time.Sleep(time.Millisecond)
		}
		f := g.Next()
		s.Offer(f.NodeName, f)
	}
	waitFor(t, 5*time.Minute, "bytes phase: flows not written", func() bool { return s.Stats().Written == uint64(n) })
	s.Stop()
	if st := s.Stats(); st.Written != uint64(n) {
		t.Fatalf("bytes phase: %+v, want %d written", st, n)
	}
	tables := []string{"flows", "edges_1m", "drops_1m", "l7_1m"}
	for _, tb := range tables {
		if err := st.Conn().Exec(ctx, "OPTIMIZE TABLE "+tb+" FINAL"); err != nil {
			t.Fatalf("optimize %s: %v", tb, err)
		}
	}
	db := st.Database()
	flows := count(t, st, "SELECT sum(rows) FROM system.parts WHERE database = ? AND table = 'flows' AND active", db)
	line := fmt.Sprintf("BENCH bytes_per_flow_flows=%.1f", perFlow(t, st, db, "flows", flows))
	var rollups float64
	for _, tb := range tables[1:] {
		b := perFlow(t, st, db, tb, flows)
		rollups += b
		line += fmt.Sprintf(" bytes_per_flow_%s=%.2f", tb, b)
	}
	fmt.Printf("%s bytes_per_flow_rollups=%.2f flows=%d clickhouse=%s\n", line, rollups, flows, st.Features().Version)
}

func perFlow(t *testing.T, st *store.Store, db, table string, flows uint64) float64 {
	b := count(t, st, "SELECT sum(bytes_on_disk) FROM system.parts WHERE database = ? AND table = ? AND active", db, table)
	return float64(b) / float64(flows)
}
