package sink

import (
	"log/slog"
	"time"

	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"

	"github.com/loupe-dev/loupe/query/store"
)

// Config wires a Sink. Zero values take the defaults below.
type Config struct {
	// Store is the migrated database to write to. Required.
	Store *store.Store
	// QueueSize bounds the flows waiting for a batch (default 200k, about
	// 1 s at full rate; more buffers a longer ClickHouse outage).
	QueueSize int
	// BatchSize bounds the flows in one insert (default 50k).
	BatchSize int
	// FlushInterval bounds how long a flow waits in a batch that is not
	// full (default 1 s).
	FlushInterval time.Duration
	// InsertTimeout bounds one insert attempt (default 30 s).
	InsertTimeout time.Duration
	// StopTimeout bounds how long Stop keeps writing what is left (default
	// 5 s); the rest is counted as DroppedAtStop.
	StopTimeout time.Duration
	// Slack is how far back before a node's newest flow Since points, for
	// flows that arrive out of order (default 2 s).
	Slack time.Duration
	// RetentionDays drops older partitions on servers without TTL; zero
	// keeps everything. Use the value the store was opened with.
	RetentionDays int
	// JanitorInterval is how often expired partitions are dropped (default
	// 1 h).
	JanitorInterval time.Duration
	Log             *slog.Logger
	// Inserted, when set, is told the duration of every successful insert
	// (the relay's batch latency histogram).
	Inserted func(took time.Duration)
	// Tracer, when set, traces every insert (a span per batch, retries
	// included).
	Tracer trace.Tracer
}

func (c Config) withDefaults() Config {
	def := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	defDur := func(v *time.Duration, d time.Duration) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&c.QueueSize, 200_000)
	def(&c.BatchSize, 50_000)
	defDur(&c.FlushInterval, time.Second)
	defDur(&c.InsertTimeout, 30*time.Second)
	defDur(&c.StopTimeout, 5*time.Second)
	defDur(&c.Slack, 2*time.Second)
	defDur(&c.JanitorInterval, time.Hour)
	if c.Tracer == nil {
		c.Tracer = noop.NewTracerProvider().Tracer("")
	}
	if c.Log == nil {
		c.Log = slog.New(slog.DiscardHandler)
	}
	return c
}
