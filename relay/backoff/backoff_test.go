package backoff

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestNext(t *testing.T) {
	ms := time.Millisecond
	cases := []struct {
		name string
		rnd  float64
		want []time.Duration
	}{
		{"no jitter drawn", 0, []time.Duration{200 * ms, 400 * ms, 800 * ms, 1600 * ms, 3200 * ms, 6400 * ms, 10000 * ms, 10000 * ms}},
		{"most jitter", 0.999999, []time.Duration{160 * ms, 320 * ms, 640 * ms, 1280 * ms, 2560 * ms, 5120 * ms, 8000 * ms, 8000 * ms}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			b := New()
			b.Rand = func() float64 { return tc.rnd }
			var got []time.Duration
			for range tc.want {
				got = append(got, b.Next().Round(ms))
			}
			if diff := cmp.Diff(got, tc.want); diff != "" {
				t.Fatalf("delays (-got +want):\n%s", diff)
			}
		})
	}
}

func TestResetStartsOver(t *testing.T) {
	b := New()
	b.Rand = func() float64 { return 0 }
	b.Next()
	b.Next()
	b.Reset()
	if d := b.Next(); d != b.Min {
		t.Fatalf("after Reset: %s, want %s", d, b.Min)
	}
}

func TestJitterStaysInBounds(t *testing.T) {
	b := New()
	for i := 0; i < 1000; i++ {
		nominal := min(b.Min<<min(i, 10), b.Max)
		d := b.Next()
		if d > nominal || float64(d) < 0.8*float64(nominal) {
			t.Fatalf("attempt %d: %s outside [80%%, 100%%] of %s", i, d, nominal)
		}
	}
}

func TestWaitEndsWithItsContext(t *testing.T) {
	b := New()
	b.Min = time.Hour
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := b.Wait(ctx); err != context.Canceled {
		t.Fatalf("Wait = %v, want context.Canceled", err)
	}
}
