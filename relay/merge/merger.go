package merge

import (
	"context"
	"sync"
	"time"

	"github.com/loupe-dev/loupe/api/observer"
)

// Merger is a Window shared by the goroutines that read the nodes' streams
// (Push) and the one that writes the merged stream (Pop).
type Merger struct {
	mu    sync.Mutex
	w     *Window
	wake  chan struct{} // holds a token when Pop may have something new
	space chan struct{} // closed when records went out; then replaced
}

// NewMerger returns a merger with an empty window.
func NewMerger(cfg Config) *Merger {
	return &Merger{w: NewWindow(cfg), wake: make(chan struct{}, 1), space: make(chan struct{})}
}

// Open adds a stream before its reader starts.
func (m *Merger) Open(src string) {
	m.mu.Lock()
	m.w.Open(src)
	m.mu.Unlock()
}

// OpenBacklog adds a stream that starts with older records; see
// Window.OpenBacklog.
func (m *Merger) OpenBacklog(src string) {
	m.mu.Lock()
	m.w.OpenBacklog(src, time.Now())
	m.mu.Unlock()
}

// Close removes a stream whose reader ended.
func (m *Merger) Close(src string) {
	m.mu.Lock()
	m.w.Close(src)
	m.mu.Unlock()
	m.signal()
}

// Push adds a record, waiting while the window is full; it returns ctx's
// error if ctx ends first.
func (m *Merger) Push(ctx context.Context, src string, r *observer.GetFlowsResponse) error {
	for {
		m.mu.Lock()
		if m.w.Accepts(src) {
			m.w.Push(src, r, time.Now())
			m.mu.Unlock()
			m.signal()
			return nil
		}
		space := m.space
		m.mu.Unlock()
		select {
		case <-space:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// OutOfBand queues a record that goes out first at the next Pop.
func (m *Merger) OutOfBand(r *observer.GetFlowsResponse) {
	m.mu.Lock()
	m.w.OutOfBand(r)
	m.mu.Unlock()
	m.signal()
}

// Pop returns what may go out now, and lets blocked pushers go on.
func (m *Merger) Pop(now time.Time) []*observer.GetFlowsResponse {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := m.w.Pop(now)
	if len(out) > 0 {
		close(m.space)
		m.space = make(chan struct{})
	}
	return out
}

// Wake has a token when Pop may have something new.
func (m *Merger) Wake() <-chan struct{} { return m.wake }

// Deadline is when Pop must be called again even if nothing new arrives.
func (m *Merger) Deadline() (time.Time, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.w.Deadline()
}

// Drained reports whether no stream is open and nothing is held: a stream
// that does not follow is complete.
func (m *Merger) Drained() bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.w.Sources() == 0 && m.w.Len() == 0
}

// Watermark is the time of the newest record that went out, if any.
func (m *Merger) Watermark() (time.Time, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.w.Watermark()
}

// Late is the number of flows dropped for arriving out of order.
func (m *Merger) Late() uint64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.w.Late()
}

func (m *Merger) signal() {
	select {
	case m.wake <- struct{}{}:
	default: // a token is waiting already
	}
}
