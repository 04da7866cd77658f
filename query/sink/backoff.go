package sink

import (
	"context"
	"math/rand/v2"
	"time"
)

// backoff spaces out retries: 100 ms doubling to 5 s, each with up to half
// of it taken off at random, so that relays restarted together do not
// retry in step.
type backoff struct{ next time.Duration }

const (
	backoffMin = 100 * time.Millisecond
	backoffMax = 5 * time.Second
)

func newBackoff() *backoff { return &backoff{next: backoffMin} }

// delay returns the next delay and doubles the one after.
func (b *backoff) delay() time.Duration {
	d := b.next/2 + rand.N(b.next/2+1)
	b.next = min(2*b.next, backoffMax)
	return d
}

// wait sleeps for the next delay; false if ctx ended first.
func (b *backoff) wait(ctx context.Context) bool {
	t := time.NewTimer(b.delay())
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
