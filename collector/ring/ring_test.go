package ring

import (
	"context"
	"testing"
	"time"

	"github.com/loupe-dev/loupe/api/flow"
)

func write(r *Ring, n int) {
	for i := range n {
		r.Write(Entry{TimeNs: int64(i), Flow: &flow.Flow{Id: uint64(i)}})
	}
}

func TestCapacityRoundsUp(t *testing.T) {
	for _, c := range []struct{ in, want int }{{0, 2}, {3, 4}, {4, 4}, {1000, 1024}} {
		if got := New(c.in).Cap(); got != uint64(c.want) {
			t.Errorf("New(%d).Cap() = %d, want %d", c.in, got, c.want)
		}
	}
}

func TestOverwriteReportsLoss(t *testing.T) {
	r := New(4)
	write(r, 10)
	oldest, next := r.Bounds()
	if oldest != 6 || next != 10 {
		t.Fatalf("bounds = %d,%d; want 6,10", oldest, next)
	}
	e, at, lost, ok := r.Read(2)
	if !ok || at != 6 || lost != 4 || e.Flow.GetId() != 6 {
		t.Fatalf("Read(2) = id %d at %d lost %d ok %v; want id 6 at 6 lost 4", e.Flow.GetId(), at, lost, ok)
	}
	if _, _, _, ok := r.Read(10); ok {
		t.Fatal("Read past the end succeeded")
	}
}

func TestWaitWakesOnWrite(t *testing.T) {
	r := New(4)
	done := make(chan error, 1)
	go func() { done <- r.Wait(context.Background(), 0) }()
	time.Sleep(10 * time.Millisecond)
	write(r, 1)
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(time.Second):
		t.Fatal("Wait did not wake up")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := r.Wait(ctx, 5); err == nil {
		t.Fatal("Wait on a cancelled context returned nil")
	}
}

func BenchmarkWrite(b *testing.B) {
	r := New(1 << 16)
	f := &flow.Flow{}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		r.Write(Entry{TimeNs: int64(i), Flow: f})
	}
}
