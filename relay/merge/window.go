package merge

import (
	"container/heap"
	"math"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/loupe-dev/loupe/api/flow"
	"github.com/loupe-dev/loupe/api/observer"
)

// Config bounds a window.
type Config struct {
	// MaxFlows is the most records the window holds.
	MaxFlows int
	// MaxDelay is the longest a record waits after it arrived; zero: no
	// limit, for streams that end (a record then waits for every stream to
	// move past it, or to end).
	MaxDelay time.Duration
	// FirstWait is how long records wait, MaxDelay or not, for a stream
	// opened with a backlog (OpenBacklog) that has sent nothing yet: its
	// node is about to send older records than a quiet node would.
	FirstWait time.Duration
	// Slack is how far every open stream must have moved past a record
	// before it goes out without waiting: it absorbs the small disorder of
	// one node's stream (events of different CPUs).
	Slack time.Duration
}

// DefaultConfig is the relay's: 1000 flows, 100 ms.
func DefaultConfig() Config {
	return Config{MaxFlows: 1000, MaxDelay: 100 * time.Millisecond, FirstWait: time.Second, Slack: 5 * time.Millisecond}
}

// Window is the sort window of one merged stream. It is not safe for
// concurrent use; Merger is.
type Window struct {
	cfg     Config
	held    itemHeap
	arrived []*item // held records in arrival order, some already emitted
	sources map[string]*source
	seq     uint64

	watermark   int64 // time of the newest record emitted
	emitted     bool
	late        uint64 // flows dropped for arriving after newer ones went out
	pendingLate uint64 // of those, not yet reported in-band
	oob         []*observer.GetFlowsResponse
}

// source is one open stream: how far it has moved, and how many of its
// records are held.
type source struct {
	last      int64
	seen      bool
	held      int
	holdUntil time.Time // while nothing is seen, records wait until then
}

type item struct {
	resp    *observer.GetFlowsResponse
	src     *source // nil when its stream is closed or unknown
	t       int64
	seq     uint64
	arrived time.Time
	out     bool
}

// NewWindow returns an empty window with no sources.
func NewWindow(cfg Config) *Window {
	if cfg.MaxFlows <= 0 {
		cfg.MaxFlows = 1
	}
	return &Window{cfg: cfg, sources: map[string]*source{}}
}

// Open adds a stream: until it sends something or closes, records wait for
// it (at most MaxDelay).
func (w *Window) Open(src string) { w.sources[src] = &source{} }

// OpenBacklog adds a stream that starts with older records (a since, the
// rest of a buffer): until it sends something or closes, records wait for
// it at least FirstWait from now, beyond MaxDelay.
func (w *Window) OpenBacklog(src string, now time.Time) {
	w.sources[src] = &source{holdUntil: now.Add(w.cfg.FirstWait)}
}

// Close removes a stream: records no longer wait for it.
func (w *Window) Close(src string) { delete(w.sources, src) }

// Full reports whether the window holds MaxFlows records.
func (w *Window) Full() bool { return w.held.Len() >= w.cfg.MaxFlows }

// Accepts reports whether src may push now: while the window is not full,
// and always when none of src's records is held. A merge can only go on
// when every stream has shown where it is; so a full window still takes
// one record of each stream, and holds at most MaxFlows plus one per
// stream.
func (w *Window) Accepts(src string) bool {
	if !w.Full() {
		return true
	}
	s := w.sources[src]
	return s != nil && s.held == 0
}

// Len is the number of records held.
func (w *Window) Len() int { return w.held.Len() }

// Sources is the number of open streams.
func (w *Window) Sources() int { return len(w.sources) }

// Late is the number of flows dropped for arriving out of order.
func (w *Window) Late() uint64 { return w.late }

// Watermark is the time of the newest record emitted, if any.
func (w *Window) Watermark() (time.Time, bool) { return time.Unix(0, w.watermark), w.emitted }

// Push adds a record of src that arrived at now. It reports false when the
// record was a flow older than what was already emitted: dropped and counted.
func (w *Window) Push(src string, r *observer.GetFlowsResponse, now time.Time) bool {
	t := timeOf(r)
	s := w.sources[src]
	if s != nil && (!s.seen || t > s.last) {
		s.last, s.seen = t, true
	}
	if w.emitted && t < w.watermark {
		if r.GetFlow() != nil {
			w.late++
			w.pendingLate++
			return false
		}
		r.Time = timestamppb.New(time.Unix(0, w.watermark))
		t = w.watermark
	}
	w.seq++
	it := &item{resp: r, src: s, t: t, seq: w.seq, arrived: now}
	if s != nil {
		s.held++
	}
	heap.Push(&w.held, it)
	w.arrived = append(w.arrived, it)
	return true
}

// OutOfBand queues a record that is not part of the time order (a node
// status event): it goes out first at the next Pop.
func (w *Window) OutOfBand(r *observer.GetFlowsResponse) { w.oob = append(w.oob, r) }

// Pop returns the records that may go out at now, in order: out-of-band
// records, a lost-events record for late flows, then held records that
// every open stream has moved past or that waited MaxDelay (with all older
// ones). With no open stream, everything held goes out.
func (w *Window) Pop(now time.Time) []*observer.GetFlowsResponse {
	out := w.oob
	w.oob = nil
	if w.pendingLate > 0 {
		out = append(out, &observer.GetFlowsResponse{
			Time: timestamppb.New(time.Unix(0, w.watermark)),
			ResponseTypes: &observer.GetFlowsResponse_LostEvents{LostEvents: &flow.LostEvent{
				Source: flow.LostEventSource_RELAY_QUEUE, NumEventsLost: w.pendingLate, Cpu: -1,
			}},
		})
		w.pendingLate = 0
	}
	low := w.low()
	for w.held.Len() > 0 {
		next := w.held[0]
		if !w.behindAll(next.t, low) && !w.expired(now) {
			break
		}
		heap.Pop(&w.held)
		if next.src != nil {
			next.src.held--
		}
		next.out = true
		w.watermark, w.emitted = max(w.watermark, next.t), true
		out = append(out, next.resp)
	}
	w.trimArrived()
	return out
}

// Deadline is when the oldest held record will have waited long enough to
// go out without the streams.
func (w *Window) Deadline() (time.Time, bool) {
	w.trimArrived()
	if len(w.arrived) == 0 || w.cfg.MaxDelay <= 0 {
		return time.Time{}, false
	}
	d := w.arrived[0].arrived.Add(w.cfg.MaxDelay)
	for _, s := range w.sources {
		if !s.seen && s.holdUntil.After(d) {
			d = s.holdUntil
		}
	}
	return d, true
}

// low is how far every open stream has moved: math.MinInt64 while one has
// sent nothing, math.MaxInt64 with none open.
func (w *Window) low() int64 {
	low := int64(math.MaxInt64)
	for _, s := range w.sources {
		if !s.seen {
			return math.MinInt64
		}
		low = min(low, s.last)
	}
	return low
}

// behindAll reports whether every open stream has moved Slack past t. A
// full window does without the slack: then every stream has a record held,
// the oldest of all can go, and the merge never waits on itself.
func (w *Window) behindAll(t, low int64) bool {
	switch low {
	case math.MaxInt64:
		return true
	case math.MinInt64:
		return false
	}
	if w.Full() {
		return t <= low
	}
	return t <= low-int64(w.cfg.Slack)
}

// expired reports whether the oldest held record has waited MaxDelay, and
// no stream opened with a backlog is still to send its first.
func (w *Window) expired(now time.Time) bool {
	w.trimArrived()
	if len(w.arrived) == 0 || w.cfg.MaxDelay <= 0 || now.Sub(w.arrived[0].arrived) < w.cfg.MaxDelay {
		return false
	}
	for _, s := range w.sources {
		if !s.seen && now.Before(s.holdUntil) {
			return false
		}
	}
	return true
}

// trimArrived drops emitted records from the head of the arrival queue.
func (w *Window) trimArrived() {
	i := 0
	for i < len(w.arrived) && w.arrived[i].out {
		w.arrived[i] = nil
		i++
	}
	w.arrived = w.arrived[i:]
}

// timeOf is the time a record sorts by: the flow's own time, else the
// response's.
func timeOf(r *observer.GetFlowsResponse) int64 {
	if t := r.GetFlow().GetTime(); t != nil {
		return t.AsTime().UnixNano()
	}
	return r.GetTime().AsTime().UnixNano()
}

// itemHeap orders records by time, then by arrival.
type itemHeap []*item

func (h itemHeap) Len() int { return len(h) }
func (h itemHeap) Less(i, j int) bool {
	if h[i].t != h[j].t {
		return h[i].t < h[j].t
	}
	return h[i].seq < h[j].seq
}
func (h itemHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *itemHeap) Push(x any)   { *h = append(*h, x.(*item)) }
func (h *itemHeap) Pop() any {
	old := *h
	it := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	return it
}
