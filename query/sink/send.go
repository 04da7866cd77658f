package sink

import (
	"context"
	"fmt"
	"time"

	"github.com/loupe-dev/loupe/query/schema"
)

// send inserts the batches that build hands over, until it closes s.ready.
// After the hard deadline it counts them as dropped at stop.
func (s *Sink) send() {
	late := false
	for b := range s.ready {
		n := b.len()
		if late || !s.write(b) {
			late = true
			s.giveUp(b)
		}
		b.reset()
		s.counters.pending.Add(-int64(n))
		s.free <- b
	}
}

// write inserts the batch, retrying with backoff while the failure may
// pass. It returns false only when the hard deadline passed first.
func (s *Sink) write(b *batch) bool {
	var (
		wait   = retryBackoff()
		failed time.Time
		n      = b.len()
	)
	span := s.traceInsert(n)
	defer span.End()
	for {
		err := s.attempt(b)
		traceAttempt(span, err)
		if err == nil {
			s.counters.written.Add(uint64(n))
			if !failed.IsZero() {
				s.cfg.Log.Info("clickhouse insert recovered", "flows", n, "after", time.Since(failed).Round(time.Millisecond))
			}
			return true
		}
		s.counters.setError(err)
		if !retriable(err) {
			s.counters.failedBatches.Add(1)
			s.counters.droppedFailed.Add(uint64(n))
			s.cfg.Log.Error("clickhouse insert failed for good: batch dropped", "flows", n, "err", err)
			return true
		}
		if failed.IsZero() {
			failed = time.Now()
			s.cfg.Log.Warn("clickhouse insert failed: retrying", "flows", n, "err", err)
		}
		if wait.Wait(s.hard) != nil {
			return false
		}
		s.counters.retries.Add(1)
	}
}

// giveUp counts a batch as dropped at stop, unless an interrupted send
// landed after all: one more brief look keeps Written exact.
func (s *Sink) giveUp(b *batch) {
	n := uint64(b.len())
	if b.maybeSent {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		landed, err := s.landed(ctx, b)
		cancel()
		if err == nil && landed {
			s.counters.written.Add(n)
			return
		}
	}
	s.counters.droppedAtStop.Add(n)
}

// attempt makes one insert of the batch, first checking whether an
// earlier attempt landed after all.
func (s *Sink) attempt(b *batch) error {
	ctx, cancel := context.WithTimeout(s.hard, s.cfg.InsertTimeout)
	defer cancel()
	if b.maybeSent {
		landed, err := s.landed(ctx, b)
		if err != nil {
			return fmt.Errorf("check an interrupted insert: %w", err)
		}
		if landed {
			return nil
		}
		b.maybeSent = false
	}
	start := time.Now()
	ins, err := s.cfg.Store.Conn().PrepareBatch(ctx, b.block.InsertQuery())
	if err != nil {
		return fmt.Errorf("prepare insert: %w", err)
	}
	if err := b.block.AppendTo(ins); err != nil {
		_ = ins.Abort()
		return badData{err}
	}
	if err := ins.Send(); err != nil {
		// A server exception means the insert did not happen; anything
		// else may have struck after the server took the data.
		b.maybeSent = !isException(err)
		return fmt.Errorf("send %d flows: %w", b.len(), err)
	}
	took := time.Since(start)
	s.counters.lastLatency.Store(int64(took))
	if s.cfg.Inserted != nil {
		s.cfg.Inserted(took)
	}
	return nil
}

// landed reports whether the batch's first flow is in ClickHouse. A batch
// is one block, inserted whole or not at all, and the sink queues a flow
// once, so the first flow answers for the batch.
func (s *Sink) landed(ctx context.Context, b *batch) (bool, error) {
	sec := b.firstNs / 1e9
	q := "SELECT count() FROM " + schema.FlowsTable +
		" WHERE node_name = ? AND id = ? AND time >= toDateTime(?) AND time < toDateTime(?) AND time_ns = ?"
	var n uint64
	err := s.cfg.Store.Conn().QueryRow(ctx, q, b.firstNode, b.firstID, sec, sec+1, uint64(b.firstNs)).Scan(&n)
	return n > 0, err
}
