package sink

import (
	"context"
	"fmt"
	"time"

	"github.com/loupe-dev/loupe/query/schema"
)

// write inserts the block, retrying with backoff while the failure may
// pass. It returns false only when the hard deadline passed first.
func (s *Sink) write() bool {
	var (
		b      = newBackoff()
		failed time.Time
		n      = s.block.Len()
	)
	for {
		err := s.attempt()
		if err == nil {
			s.counters.written.Add(uint64(n))
			if !failed.IsZero() {
				s.cfg.Log.Info("clickhouse insert recovered", "flows", n, "after", time.Since(failed).Round(time.Millisecond))
			}
			s.reset()
			return true
		}
		s.counters.setError(err)
		if !retriable(err) {
			s.counters.failedBatches.Add(1)
			s.counters.droppedFailed.Add(uint64(n))
			s.cfg.Log.Error("clickhouse insert failed for good: batch dropped", "flows", n, "err", err)
			s.reset()
			return true
		}
		if failed.IsZero() {
			failed = time.Now()
			s.cfg.Log.Warn("clickhouse insert failed: retrying", "flows", n, "err", err)
		}
		if !b.wait(s.hard) {
			return false
		}
		s.counters.retries.Add(1)
	}
}

// attempt makes one insert of the block, first checking whether an
// earlier attempt landed after all.
func (s *Sink) attempt() error {
	ctx, cancel := context.WithTimeout(s.hard, s.cfg.InsertTimeout)
	defer cancel()
	if s.batch.maybeSent {
		landed, err := s.landed(ctx)
		if err != nil {
			return fmt.Errorf("check an interrupted insert: %w", err)
		}
		if landed {
			return nil
		}
		s.batch.maybeSent = false
	}
	start := time.Now()
	batch, err := s.cfg.Store.Conn().PrepareBatch(ctx, s.block.InsertQuery())
	if err != nil {
		return fmt.Errorf("prepare insert: %w", err)
	}
	if err := s.block.AppendTo(batch); err != nil {
		_ = batch.Abort()
		return badData{err}
	}
	if err := batch.Send(); err != nil {
		// A server exception means the insert did not happen; anything
		// else may have struck after the server took the data.
		s.batch.maybeSent = !isException(err)
		return fmt.Errorf("send %d flows: %w", s.block.Len(), err)
	}
	s.counters.lastLatency.Store(int64(time.Since(start)))
	return nil
}

// landed reports whether the batch's first flow is in ClickHouse. A batch
// is one block, inserted whole or not at all, and the sink queues a flow
// once, so the first flow answers for the batch.
func (s *Sink) landed(ctx context.Context) (bool, error) {
	sec := s.batch.firstNs / 1e9
	q := "SELECT count() FROM " + schema.FlowsTable +
		" WHERE node_name = ? AND id = ? AND time >= toDateTime(?) AND time < toDateTime(?) AND time_ns = ?"
	var n uint64
	err := s.cfg.Store.Conn().QueryRow(ctx, q, s.batch.firstNode, s.batch.firstID, sec, sec+1, uint64(s.batch.firstNs)).Scan(&n)
	return n > 0, err
}
