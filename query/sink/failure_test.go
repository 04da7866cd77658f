package sink_test

import (
	"context"
	"testing"
	"time"

	"github.com/loupe-dev/loupe/api/flow"
	"github.com/loupe-dev/loupe/internal/testutil"
	"github.com/loupe-dev/loupe/query/sink"
)

// TestBadBatchFailsOnce: a batch that cannot be encoded is counted failed
// and dropped, not retried; the next batches are written.
func TestBadBatchFailsOnce(t *testing.T) {
	srv := testutil.ClickHouse(t)
	st := openStore(t, srv, "bad")
	s := sink.New(sink.Config{Store: st, BatchSize: 1000, FlushInterval: 50 * time.Millisecond})
	s.Start(context.Background())
	defer s.Stop()
	flows := generate(5, 3000, []string{"node-a"}, time.Now(), time.Millisecond)
	offerAll(s, flows[:1000])
	waitFor(t, 10*time.Second, "first batch not written", func() bool { return s.Stats().Written == 1000 })
	bad := flows[1000:2000]
	bad[500].Verdict = flow.Verdict(99) // not in the verdict enum
	offerAll(s, bad)
	waitFor(t, 10*time.Second, "bad batch not failed", func() bool { return s.Stats().FailedBatches == 1 })
	offerAll(s, flows[2000:])
	waitFor(t, 10*time.Second, "last batch not written", func() bool { return s.Stats().Written == 2000 })
	s.Stop()
	got := s.Stats()
	checkBalance(t, got)
	if got.DroppedFailed != 1000 || got.Retries != 0 || got.LastError == "" {
		t.Fatalf("%+v: want 1000 dropped in one failed batch, no retry, an error", got)
	}
	if c := count(t, st, "SELECT count() FROM flows"); c != 2000 {
		t.Fatalf("count() %d, want 2000", c)
	}
}

// TestStopWithClickHouseDown: Stop gives up after its deadline and counts
// what it could not write; Since fails for a node it would have to look up.
func TestStopWithClickHouseDown(t *testing.T) {
	t.Parallel() // mostly waiting for a server to stop or come back
	srv := testutil.ClickHouse(t)
	st := openStore(t, srv, "stop")
	srv.Stop()
	s := sink.New(sink.Config{Store: st, QueueSize: 500, BatchSize: 100, StopTimeout: 500 * time.Millisecond})
	s.Start(context.Background())
	if _, err := s.Since(context.Background(), "node-a"); err == nil {
		t.Error("Since with ClickHouse down: no error")
	}
	offerAll(s, generate(6, 1000, []string{"node-a"}, time.Now(), time.Millisecond))
	start := time.Now()
	s.Stop()
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("Stop took %v with a 500 ms deadline", d)
	}
	s.Offer("node-a", generate(7, 1, []string{"node-a"}, time.Now(), time.Millisecond)[0])
	got := s.Stats()
	checkBalance(t, got)
	// The queue holds 500, and the two batches up to 100 each (one being
	// retried, the next filling meanwhile); the offer after Stop is one more.
	if got.Received != 1001 || got.Written != 0 || got.DroppedAtStop < 501 || got.DroppedAtStop > 701 {
		t.Fatalf("%+v: want nothing written and 501 to 701 dropped at stop", got)
	}
}
