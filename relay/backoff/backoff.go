// Package backoff spaces out reconnection attempts: exponential delays with
// jitter, so that a relay does not hammer a node that is down, and many
// relays restarted together do not retry in step.
package backoff

import (
	"context"
	"math/rand/v2"
	"time"
)

// Backoff is the delay before each retry: Min, then Factor times longer per
// failed attempt, at most Max, each shortened by a random part of up to
// Jitter of itself. The zero value is not usable: use New or set all fields.
// Not safe for concurrent use: each retry loop owns one.
type Backoff struct {
	Min, Max time.Duration
	Factor   float64
	// Jitter in [0, 1]: 0.2 makes each delay 80% to 100% of its nominal value.
	Jitter float64
	// Rand returns a number in [0, 1); tests replace it.
	Rand func() float64

	attempt int
}

// New returns the relay's reconnection backoff: 200 ms doubling up to 10 s,
// with 20% jitter.
func New() *Backoff {
	return &Backoff{Min: 200 * time.Millisecond, Max: 10 * time.Second, Factor: 2, Jitter: 0.2, Rand: rand.Float64}
}

// Next returns the delay before the next attempt and counts the attempt.
func (b *Backoff) Next() time.Duration {
	d := float64(b.Min)
	for i := 0; i < b.attempt && d < float64(b.Max); i++ {
		d *= b.Factor
	}
	d = min(d, float64(b.Max))
	b.attempt++
	if b.Jitter > 0 && b.Rand != nil {
		d -= d * b.Jitter * b.Rand()
	}
	return time.Duration(d)
}

// Reset starts over from Min, after a success.
func (b *Backoff) Reset() { b.attempt = 0 }

// Wait sleeps for Next, or until ctx ends: then it returns ctx's error.
func (b *Backoff) Wait(ctx context.Context) error {
	t := time.NewTimer(b.Next())
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
