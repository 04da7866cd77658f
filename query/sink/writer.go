package sink

import (
	"context"
	"time"

	"github.com/loupe-dev/loupe/api/flow"
)

// batchState is the writer's bookkeeping for the batch in s.block.
type batchState struct {
	// first identifies the batch's first flow, to ask ClickHouse whether
	// a send that failed half way landed after all.
	firstNode string
	firstID   uint64
	firstNs   int64
	// maybeSent says an attempt failed after the data left: before a
	// resend, check whether it landed.
	maybeSent bool
	timer     *time.Timer
}

// run is the writer: it fills batches from the queue and writes them until
// Stop, then writes what is left until the hard deadline.
func (s *Sink) run() {
	s.batch.timer = time.NewTimer(time.Hour)
	s.batch.timer.Stop()
	defer s.batch.timer.Stop()
	for {
		stopping := s.fill()
		if s.block.Len() > 0 && !s.write() {
			// The hard deadline passed with the batch unwritten; Stop
			// counts what is still queued.
			s.giveUp()
			return
		}
		if stopping && len(s.queue) == 0 {
			return
		}
	}
}

// fill adds queued flows to the block until it is full, FlushInterval
// after its first flow, or, once stopping, until the queue is empty. It
// reports whether the sink is stopping.
func (s *Sink) fill() (stopping bool) {
	for s.block.Len() < s.cfg.BatchSize {
		if stopping {
			select {
			case f := <-s.queue:
				s.add(f)
				continue
			default:
				return true
			}
		}
		select {
		case f := <-s.queue:
			s.add(f)
		case <-s.batch.timer.C:
			return false
		case <-s.stopping:
			stopping = true
		case <-s.hard.Done():
			stopping = true
		}
	}
	s.batch.timer.Stop()
	return stopping
}

func (s *Sink) add(f *flow.Flow) {
	if s.block.Len() == 0 {
		s.batch.firstNode, s.batch.firstID, s.batch.firstNs = f.GetNodeName(), f.GetId(), timeNs(f)
		s.batch.timer.Reset(s.cfg.FlushInterval)
	}
	s.block.Add(f)
	s.counters.pending.Store(int64(s.block.Len()))
}

// giveUp counts the batch as dropped at stop, unless an interrupted send
// landed after all: one more look, briefly, keeps Written exact.
func (s *Sink) giveUp() {
	n := uint64(s.block.Len())
	if s.batch.maybeSent {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		landed, err := s.landed(ctx)
		cancel()
		if err == nil && landed {
			s.counters.written.Add(n)
			s.reset()
			return
		}
	}
	s.counters.droppedAtStop.Add(n)
	s.reset()
}

// reset empties the block after it was written or given up.
func (s *Sink) reset() {
	s.block.Reset()
	s.batch.maybeSent = false
	s.batch.timer.Stop()
	s.counters.pending.Store(0)
}
