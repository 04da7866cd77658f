package sink

import (
	"context"
	"sync"
	"time"

	"github.com/loupe-dev/loupe/api/flow"
)

// Sink writes offered flows to ClickHouse in batches. It implements the
// relay's archive: Since and Offer. Construct with New, then Start; Stop
// once.
type Sink struct {
	cfg   Config
	queue chan *flow.Flow

	// gate orders Offer against Stop: once Stop holds it, no Offer is
	// between its check and the queue, so the final count is exact.
	gate    sync.RWMutex
	stopped bool

	nodes sync.Map // node name -> *nodeState

	// Batches go from build to send on ready, and back on free.
	ready chan *batch
	free  chan *batch

	startOnce, stopOnce sync.Once
	stopping            chan struct{} // closed by Stop: write what is left
	hard                context.Context
	cancelHard          context.CancelFunc // ends every ClickHouse call
	wg                  sync.WaitGroup

	counters counters
}

// New wires a sink; it starts nothing.
func New(c Config) *Sink {
	if c.Store == nil {
		panic("sink: Config.Store is nil")
	}
	c = c.withDefaults()
	s := &Sink{
		cfg:      c,
		queue:    make(chan *flow.Flow, c.QueueSize),
		ready:    make(chan *batch),
		free:     make(chan *batch, 2),
		stopping: make(chan struct{}),
	}
	s.free <- newBatch(c.Store.Features())
	s.free <- newBatch(c.Store.Features())
	return s
}

// Start launches the builder and the sender of batches and, on servers
// without TTL, the retention janitor. Cancelling ctx ends them as a passed
// StopTimeout does; call Stop in any case, to account for the rest.
func (s *Sink) Start(ctx context.Context) {
	s.startOnce.Do(func() {
		s.hard, s.cancelHard = context.WithCancel(ctx)
		s.wg.Add(2)
		go func() {
			defer s.wg.Done()
			s.build()
		}()
		go func() {
			defer s.wg.Done()
			s.send()
		}()
		if s.cfg.RetentionDays > 0 && !s.cfg.Store.Features().TTL {
			s.wg.Add(1)
			go func() {
				defer s.wg.Done()
				s.janitor()
			}()
		}
	})
}

// Stop refuses new flows, writes what is queued within StopTimeout, counts
// the rest as DroppedAtStop and waits for every goroutine. It does not
// close the store.
func (s *Sink) Stop() {
	s.stopOnce.Do(func() {
		s.gate.Lock()
		s.stopped = true
		s.gate.Unlock()
		close(s.stopping)
		s.startOnce.Do(func() {}) // a sink never started stays so
		if s.cancelHard != nil {
			t := time.AfterFunc(s.cfg.StopTimeout, s.cancelHard)
			s.wg.Wait()
			t.Stop()
			s.cancelHard()
		}
		for {
			select {
			case <-s.queue:
				s.counters.droppedAtStop.Add(1)
			default:
				return
			}
		}
	})
}

// Offer queues one flow of node for writing; it never blocks. node must be
// the flow's NodeName. A flow already written or queued is skipped; when
// the queue is full the flow is dropped; both are counted.
func (s *Sink) Offer(node string, f *flow.Flow) {
	s.counters.received.Add(1)
	s.gate.RLock()
	defer s.gate.RUnlock()
	if s.stopped {
		s.counters.droppedAtStop.Add(1)
		return
	}
	n := s.node(node)
	n.mu.Lock()
	defer n.mu.Unlock()
	if f.GetNodeName() != node && !n.misnamed {
		// Since asks ClickHouse by the name it is given, and rows
		// store the flow's: if they differ, a restarted relay would
		// read the node's flows again and store them twice.
		n.misnamed = true
		s.cfg.Log.Warn("flow offered under another node name than its own: de-duplication after a restart will miss",
			"offered_as", node, "node_name", f.GetNodeName())
	}
	if n.seen(f.GetId()) {
		s.counters.duplicates.Add(1)
		return
	}
	select {
	case s.queue <- f:
		n.remember(f.GetId(), timeNs(f), int64(s.cfg.Slack))
	default:
		s.counters.droppedQueueFull.Add(1)
	}
}

// timeNs is the flow's time in ns since the epoch, as time_ns stores it.
func timeNs(f *flow.Flow) int64 {
	t := f.GetTime()
	return t.GetSeconds()*1e9 + int64(t.GetNanos())
}
