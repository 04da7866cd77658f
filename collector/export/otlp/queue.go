package otlp

import (
	"context"
	"log/slog"
	"sync/atomic"
	"time"
)

// QueueStats are one signal's counters: items exported, dropped because
// the queue was full, lost in failed exports; the queue's fill.
type QueueStats struct {
	Exported, DroppedFull, Failed uint64
	Depth, Capacity               int
}

// queue is a bounded queue with one owner goroutine that takes items in
// batches of at most size, or what arrived within interval, and exports
// them. offer never blocks: a full queue drops and counts.
type queue[T any] struct {
	in       chan T
	size     int
	interval time.Duration
	timeout  time.Duration
	export   func(ctx context.Context, batch []T) error
	name     string
	log      *slog.Logger

	exported, droppedFull, failed atomic.Uint64

	stop chan struct{}
	done chan struct{}
}

func newQueue[T any](name string, cfg Config, export func(context.Context, []T) error) *queue[T] {
	return &queue[T]{
		name: name, log: cfg.Log, export: export,
		in: make(chan T, cfg.QueueSize), size: cfg.BatchSize, interval: cfg.FlushInterval, timeout: cfg.ExportTimeout,
		stop: make(chan struct{}), done: make(chan struct{}),
	}
}

// offer queues v, or drops and counts it when the queue is full.
func (q *queue[T]) offer(v T) {
	select {
	case q.in <- v:
	default:
		q.droppedFull.Add(1)
	}
}

func (q *queue[T]) start() { go q.run() }

// close stops the owner after it has exported what was queued (each batch
// within the export timeout) and waits for it.
func (q *queue[T]) close() {
	close(q.stop)
	<-q.done
}

func (q *queue[T]) stats() QueueStats {
	return QueueStats{
		Exported: q.exported.Load(), DroppedFull: q.droppedFull.Load(), Failed: q.failed.Load(),
		Depth: len(q.in), Capacity: cap(q.in),
	}
}

func (q *queue[T]) run() {
	defer close(q.done)
	t := time.NewTicker(q.interval)
	defer t.Stop()
	batch := make([]T, 0, q.size)
	failing := false
	flush := func() {
		if len(batch) == 0 {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), q.timeout)
		err := q.export(ctx, batch)
		cancel()
		if err != nil {
			q.failed.Add(uint64(len(batch)))
			if !failing {
				// Logged once per outage; the count goes on in Stats.
				q.log.Warn("otlp export failed: batches are dropped until it recovers", "signal", q.name, "items", len(batch), "error", err)
			}
		} else {
			q.exported.Add(uint64(len(batch)))
			if failing {
				q.log.Info("otlp export recovered", "signal", q.name)
			}
		}
		failing = err != nil
		clear(batch)
		batch = batch[:0]
	}
	add := func(v T) {
		batch = append(batch, v)
		if len(batch) == q.size {
			flush()
		}
	}
	for {
		select {
		case v := <-q.in:
			add(v)
		case <-t.C:
			flush()
		case <-q.stop:
			for {
				select {
				case v := <-q.in:
					add(v)
				default:
					flush()
					return
				}
			}
		}
	}
}
