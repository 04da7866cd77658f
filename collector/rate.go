package collector

import (
	"sync"
	"time"
)

// rateMeter keeps (time, count) samples over the last minute.
type rateMeter struct {
	mu      sync.Mutex
	samples [61]struct {
		at time.Time
		n  uint64
	}
	next, filled int
}

func (r *rateMeter) sample(at time.Time, n uint64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.samples[r.next].at, r.samples[r.next].n = at, n
	r.next = (r.next + 1) % len(r.samples)
	r.filled = min(r.filled+1, len(r.samples))
}

// perSecond is the rate between the oldest and newest sample.
func (r *rateMeter) perSecond() float64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.filled < 2 {
		return 0
	}
	newest := r.samples[(r.next+len(r.samples)-1)%len(r.samples)]
	oldest := r.samples[(r.next+len(r.samples)-r.filled)%len(r.samples)]
	d := newest.at.Sub(oldest.at).Seconds()
	if d <= 0 {
		return 0
	}
	return float64(newest.n-oldest.n) / d
}
