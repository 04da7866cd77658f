package sink

import (
	"sync/atomic"
	"time"
)

// Stats are the sink's counters since New. Flows, unless said otherwise.
type Stats struct {
	Received   uint64 // every Offer
	Written    uint64 // confirmed by ClickHouse
	Duplicates uint64 // skipped: already written or queued
	// DroppedQueueFull were refused because the queue was full.
	DroppedQueueFull uint64
	// DroppedAtStop were offered after Stop, or still unwritten when its
	// deadline passed.
	DroppedAtStop uint64
	// DroppedFailed were in batches that failed for good.
	DroppedFailed uint64
	// FailedBatches failed for a reason that retrying cannot fix.
	FailedBatches uint64
	// Retries are insert attempts repeated after a failure.
	Retries uint64
	// QueueDepth and QueueCapacity are the queue's fill and size; Pending
	// is the batch being built or written.
	QueueDepth, QueueCapacity, Pending int
	// LastBatchLatency is the last successful insert's duration.
	LastBatchLatency time.Duration
	// LastError is the last insert error, "" until there is one.
	LastError string
}

// Dropped sums every kind of drop.
func (s Stats) Dropped() uint64 { return s.DroppedQueueFull + s.DroppedAtStop + s.DroppedFailed }

// counters are the live values behind Stats.
type counters struct {
	received, written, duplicates                  atomic.Uint64
	droppedQueueFull, droppedAtStop, droppedFailed atomic.Uint64
	failedBatches, retries                         atomic.Uint64
	pending                                        atomic.Int64
	lastLatency                                    atomic.Int64
	lastError                                      atomic.Pointer[string]
}

func (c *counters) setError(err error) {
	msg := err.Error()
	c.lastError.Store(&msg)
}

// Stats reads the counters. Each is exact; taken together they are a
// snapshot only once Stop has returned.
func (s *Sink) Stats() Stats {
	c := &s.counters
	st := Stats{
		Received:         c.received.Load(),
		Written:          c.written.Load(),
		Duplicates:       c.duplicates.Load(),
		DroppedQueueFull: c.droppedQueueFull.Load(),
		DroppedAtStop:    c.droppedAtStop.Load(),
		DroppedFailed:    c.droppedFailed.Load(),
		FailedBatches:    c.failedBatches.Load(),
		Retries:          c.retries.Load(),
		QueueDepth:       len(s.queue),
		QueueCapacity:    cap(s.queue),
		Pending:          int(c.pending.Load()),
		LastBatchLatency: time.Duration(c.lastLatency.Load()),
	}
	if e := c.lastError.Load(); e != nil {
		st.LastError = *e
	}
	return st
}
