package otlp

import (
	"log/slog"
	"time"

	"github.com/loupe-dev/loupe/collector/filters"
)

// Config sets up an Exporter. Zero values take the defaults.
type Config struct {
	// NodeName is this node, an attribute of every span and record.
	NodeName string
	// Spans exports L7 HTTP/gRPC flows as spans.
	Spans bool
	// Logs exports flows as log records, those that LogFilter passes (all
	// when nil).
	Logs      bool
	LogFilter filters.Func
	// QueueSize bounds each signal's queue (default 4096 items).
	QueueSize int
	// BatchSize bounds the items of one export (default 512).
	BatchSize int
	// FlushInterval bounds how long an item waits for its batch (default 1 s).
	FlushInterval time.Duration
	// ExportTimeout bounds one export (default 10 s).
	ExportTimeout time.Duration
	Log           *slog.Logger
}

// DefaultConfig is the agent's defaults: flow spans on, flow logs off.
func DefaultConfig() Config {
	return Config{Spans: true}.withDefaults()
}

func (c Config) withDefaults() Config {
	if c.QueueSize <= 0 {
		c.QueueSize = 4096
	}
	if c.BatchSize <= 0 {
		c.BatchSize = 512
	}
	if c.FlushInterval <= 0 {
		c.FlushInterval = time.Second
	}
	if c.ExportTimeout <= 0 {
		c.ExportTimeout = 10 * time.Second
	}
	if c.Log == nil {
		c.Log = slog.New(slog.DiscardHandler)
	}
	return c
}
