// Package ring is the collector's bounded buffer of recent flows. The writer
// never blocks: when the ring is full the oldest entry is overwritten, and a
// reader that falls behind learns how many entries it missed.
package ring

import (
	"context"
	"sync"

	"github.com/loupe-dev/loupe/api/flow"
)

// Entry is one flow or one lost-events record, with its time in Unix ns.
type Entry struct {
	TimeNs int64
	Flow   *flow.Flow
	Lost   *flow.LostEvent
}

// Ring holds the most recent entries; its capacity is a power of two.
type Ring struct {
	mu     sync.RWMutex
	buf    []Entry
	mask   uint64
	next   uint64        // position of the next write = entries ever written
	notify chan struct{} // closed on write when readers wait; nil otherwise
}

// New returns a ring holding at least capacity entries (rounded up to a power
// of two, minimum 2).
func New(capacity int) *Ring {
	n := uint64(2)
	for n < uint64(capacity) {
		n <<= 1
	}
	return &Ring{buf: make([]Entry, n), mask: n - 1}
}

// Write appends e, overwriting the oldest entry when full.
func (r *Ring) Write(e Entry) {
	r.mu.Lock()
	r.buf[r.next&r.mask] = e
	r.next++
	if r.notify != nil {
		close(r.notify)
		r.notify = nil
	}
	r.mu.Unlock()
}

// Cap is the number of entries the ring holds when full.
func (r *Ring) Cap() uint64 { return r.mask + 1 }

// Bounds returns the oldest readable position and the next write position.
func (r *Ring) Bounds() (oldest, next uint64) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.boundsLocked()
}

func (r *Ring) boundsLocked() (oldest, next uint64) {
	if r.next > r.mask+1 {
		oldest = r.next - r.mask - 1
	}
	return oldest, r.next
}

// Read returns the entry at pos. If pos was overwritten, it returns the
// oldest entry instead and how many were lost; ok is false when pos has not
// been written yet.
func (r *Ring) Read(pos uint64) (e Entry, at uint64, lost uint64, ok bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	oldest, next := r.boundsLocked()
	if pos < oldest {
		lost, pos = oldest-pos, oldest
	}
	if pos >= next {
		return Entry{}, pos, lost, false
	}
	return r.buf[pos&r.mask], pos, lost, true
}

// Wait blocks until an entry exists at pos or ctx ends.
func (r *Ring) Wait(ctx context.Context, pos uint64) error {
	r.mu.Lock()
	if pos < r.next {
		r.mu.Unlock()
		return nil
	}
	if r.notify == nil {
		r.notify = make(chan struct{})
	}
	ch := r.notify
	r.mu.Unlock()
	select {
	case <-ch:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
