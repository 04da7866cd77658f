package sink_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/loupe-dev/loupe/internal/flowgen"
	"github.com/loupe-dev/loupe/internal/testutil"
	"github.com/loupe-dev/loupe/query/sink"
)

// load offers about rate flows/s, stamped with the wall clock, until stop
// is closed.
func load(s *sink.Sink, rate int, stop <-chan struct{}) {
	g := flowgen.New(4, 20, []string{"node-a", "node-b"}, time.Now(), time.Millisecond)
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-stop:
			return
		case <-tick.C:
		}
		for range rate / 100 {
			f := g.Next()
			f.Time = timestamppb.Now()
			s.Offer(f.NodeName, f)
		}
	}
}

// TestClickHouseOutage stops ClickHouse for 30 s under a steady load: the
// sink retries, buffers what its queue holds, writes it after the restart,
// counts the overflow as dropped, and ClickHouse ends up with exactly what
// the sink says it wrote.
func TestClickHouseOutage(t *testing.T) {
	t.Parallel() // mostly waiting for a server to stop or come back
	srv := testutil.ClickHouse(t)
	st := openStore(t, srv, "outage")
	const queue = 100_000
	s := sink.New(sink.Config{Store: st, QueueSize: queue, BatchSize: 10_000, FlushInterval: 200 * time.Millisecond})
	s.Start(context.Background())
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		load(s, 20_000, stop)
	}()
	defer func() {
		select {
		case <-stop:
		default:
			close(stop)
		}
		wg.Wait()
		s.Stop()
	}()

	waitFor(t, 30*time.Second, "no flows written before the outage", func() bool { return s.Stats().Written > 20_000 })
	before := s.Stats()
	down := time.Now()
	srv.Stop()
	time.Sleep(30 * time.Second)
	during := s.Stats()
	if during.DroppedQueueFull == 0 || during.QueueDepth != queue || during.Retries == 0 || during.LastError == "" {
		t.Fatalf("after 30 s of outage: %+v, want a full queue, drops, retries and an error", during)
	}
	up := time.Now()
	if err := srv.Restart(context.Background()); err != nil {
		t.Fatal(err)
	}
	time.Sleep(5 * time.Second)
	close(stop)
	wg.Wait()
	// Slow machines (or -race) may need longer than the load to catch up.
	waitFor(t, 60*time.Second, "the backlog not written after the restart", func() bool {
		st := s.Stats()
		return st.QueueDepth == 0 && st.Pending == 0
	})
	s.Stop()

	got := s.Stats()
	checkBalance(t, got)
	if got.FailedBatches != 0 || got.DroppedAtStop != 0 {
		t.Fatalf("%+v: want no failed batch and nothing dropped at stop", got)
	}
	if c := count(t, st, "SELECT count() FROM flows"); c != got.Written {
		t.Fatalf("count() %d, sink wrote %d", c, got.Written)
	}
	// What the sink held at the restart was written after it.
	if held := uint64(during.QueueDepth + during.Pending); got.Written-during.Written < held {
		t.Fatalf("%d written after the restart, want at least the %d held", got.Written-during.Written, held)
	}
	// And so were the outage's flows that fit in the queue: all it had
	// room for when ClickHouse went down.
	buffered := count(t, st, "SELECT count() FROM flows WHERE time_ns BETWEEN ? AND ?", uint64(down.UnixNano()), uint64(up.UnixNano()))
	if room := uint64(queue - before.QueueDepth); buffered < room {
		t.Fatalf("%d flows of the outage written, want at least the %d the queue had room for", buffered, room)
	}
	t.Logf("outage: %d written, %d dropped (queue full), %d retries, %d flows of the outage written after it",
		got.Written, got.DroppedQueueFull, got.Retries, buffered)
}
