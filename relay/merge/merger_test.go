package merge

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"
)

func TestMergerPushWaitsForSpace(t *testing.T) {
	m := NewMerger(Config{MaxFlows: 1, MaxDelay: time.Hour})
	m.Open("a")
	ctx := context.Background()
	if err := m.Push(ctx, "a", at("a", 1)); err != nil {
		t.Fatal(err)
	}
	pushed := make(chan error, 1)
	go func() { pushed <- m.Push(ctx, "a", at("a", 2)) }()
	select {
	case err := <-pushed:
		t.Fatalf("Push into a full window returned %v; want it to wait", err)
	case <-time.After(50 * time.Millisecond):
	}
	m.Close("a") // nothing to wait for: a1 may go out
	if got := show(m.Pop(time.Now())); got != "a1" {
		t.Fatalf("Pop = %q, want a1", got)
	}
	if err := <-pushed; err != nil {
		t.Fatal(err)
	}
	if got := show(m.Pop(time.Now())); got != "a2" {
		t.Fatalf("Pop = %q, want a2", got)
	}
	if !m.Drained() {
		t.Fatal("not drained after every record went out")
	}
}

func TestMergerPushEndsWithItsContext(t *testing.T) {
	m := NewMerger(Config{MaxFlows: 1, MaxDelay: time.Hour})
	m.Open("a")
	m.Push(context.Background(), "a", at("a", 1))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := m.Push(ctx, "a", at("a", 2)); !errors.Is(err, context.Canceled) {
		t.Fatalf("Push = %v, want context.Canceled", err)
	}
}

// TestMergerOrdersConcurrentStreams: three sorted streams pushed at once
// through a small window come out in one order, nothing late.
func TestMergerOrdersConcurrentStreams(t *testing.T) {
	m := NewMerger(Config{MaxFlows: 8, MaxDelay: time.Hour})
	nodes := []string{"a", "b", "c"}
	for _, n := range nodes {
		m.Open(n)
	}
	var wg sync.WaitGroup
	for i, n := range nodes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer m.Close(n)
			for s := i; s < 300; s += len(nodes) {
				if err := m.Push(context.Background(), n, at(n, s)); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	var got []int64
	for !m.Drained() {
		select {
		case <-m.Wake():
		case <-time.After(10 * time.Millisecond):
		}
		for _, r := range m.Pop(time.Now()) {
			got = append(got, r.GetTime().AsTime().UnixNano())
		}
	}
	wg.Wait()
	if len(got) != 300 || m.Late() != 0 {
		t.Fatalf("%d records out, %d late; want 300 and 0", len(got), m.Late())
	}
	for i := 1; i < len(got); i++ {
		if got[i] < got[i-1] {
			t.Fatalf("record %d goes back in time", i)
		}
	}
}
