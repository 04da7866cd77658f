package sink

import (
	"time"

	"github.com/loupe-dev/loupe/api/flow"
)

// build fills batches from the queue and hands them to the sender: when
// full, or FlushInterval after their first flow, or at stop. While the
// sender is busy it keeps filling the batch in hand up to BatchSize, so
// batches grow when ClickHouse is slow. At stop it drains the queue, then
// closes s.ready.
func (s *Sink) build() {
	defer close(s.ready)
	b := <-s.free
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	defer timer.Stop()
	var (
		due      bool // the time bound passed
		stopping = s.stopping
		hard     = s.hard.Done()
	)
	add := func(f *flow.Flow) {
		if b.len() == 0 {
			timer.Reset(s.cfg.FlushInterval)
		}
		b.add(f)
		s.counters.pending.Add(1)
	}
	for {
		full := b.len() >= s.cfg.BatchSize
		over := stopping == nil
		var ready chan<- *batch
		if b.len() > 0 && (full || due || over) {
			ready = s.ready
		}
		queue := s.queue
		if full {
			queue = nil
		}
		if over && ready == nil {
			// An empty batch at stop: take what is left, or finish.
			select {
			case f := <-s.queue:
				add(f)
				continue
			default:
				s.free <- b
				return
			}
		}
		select {
		case ready <- b:
			timer.Stop()
			due = false
			b = <-s.free
		case f := <-queue:
			add(f)
		case <-timer.C:
			due = true
		case <-stopping:
			stopping, hard = nil, nil
		case <-hard:
			stopping, hard = nil, nil
		}
	}
}
