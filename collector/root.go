// Package collector is the node's flow pipeline: it reads the datapath's ring
// buffer, decodes and enriches events into flows, keeps the recent ones in a
// bounded ring and reports every loss in-band.
package collector

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/ringbuf"

	"github.com/loupe-dev/loupe/api/flow"
	"github.com/loupe-dev/loupe/collector/decoder"
	"github.com/loupe-dev/loupe/collector/parser"
	"github.com/loupe-dev/loupe/collector/ring"
	"github.com/loupe-dev/loupe/datapath/maps"
)

// Config sets up a collector.
type Config struct {
	NodeName string
	// RingSize is the number of flows kept in memory (rounded up to a power
	// of two).
	RingSize int
	// LossInterval is how often kernel losses and decode errors are polled
	// and reported in-band.
	LossInterval time.Duration
	// Observer, when set, sees every flow after parsing, on the reader's
	// goroutine (the flow metrics): it must be quick and keep nothing.
	Observer FlowObserver
}

// FlowObserver is fed each parsed flow.
type FlowObserver interface {
	Observe(f *flow.Flow)
}

// DefaultConfig returns the agent's defaults.
func DefaultConfig() Config {
	host, _ := os.Hostname()
	return Config{NodeName: host, RingSize: 65536, LossInterval: time.Second}
}

// Collector is constructed with New, started with Start and stopped with Stop.
type Collector struct {
	cfg    Config
	log    *slog.Logger
	events *ebpf.Map
	lost   *maps.LostEvents
	parser *parser.Parser
	ring   *ring.Ring

	reader *ringbuf.Reader
	cancel context.CancelFunc
	wg     sync.WaitGroup

	started      time.Time
	seen         atomic.Uint64 // flows written to the ring
	decodeErrors atomic.Uint64
	kernelLost   atomic.Uint64 // sum over CPUs, as last read
	rate         rateMeter

	l7       chan *flow.Flow // from the proxy (EmitL7)
	l7parser *parser.Parser
	l7Lost   atomic.Uint64
}

// New wires a collector to the datapath's events ring buffer and lost-event
// counters. It starts nothing.
func New(cfg Config, log *slog.Logger, events, lost *ebpf.Map, p *parser.Parser) (*Collector, error) {
	if cfg.RingSize <= 0 {
		return nil, fmt.Errorf("flow ring size %d: want a positive number", cfg.RingSize)
	}
	if cfg.LossInterval <= 0 {
		cfg.LossInterval = time.Second
	}
	return &Collector{
		cfg: cfg, log: log, events: events, lost: maps.NewLostEvents(lost),
		parser: p, ring: ring.New(cfg.RingSize),
		l7: make(chan *flow.Flow, defaultL7Queue), l7parser: p.Fork(),
	}, nil
}

// Start opens the ring buffer and starts the reader and the loss poller.
func (c *Collector) Start() error {
	rd, err := ringbuf.NewReader(c.events)
	if err != nil {
		return fmt.Errorf("open ring buffer: %w", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	c.reader, c.cancel, c.started = rd, cancel, time.Now()
	c.wg.Add(3)
	go func() { defer c.wg.Done(); c.readLoop() }()
	go func() { defer c.wg.Done(); c.lossLoop(ctx) }()
	go func() { defer c.wg.Done(); c.l7Loop(ctx) }()
	return nil
}

// Stop ends both goroutines and waits for them.
func (c *Collector) Stop() error {
	if c.reader == nil {
		return nil
	}
	c.cancel()
	err := c.reader.Close() // unblocks the reader
	c.wg.Wait()
	return err
}

// Ring is the buffer the Observer API reads.
func (c *Collector) Ring() *ring.Ring { return c.ring }

// drainInterval bounds how long a record waits in the ring buffer when the
// datapath batches wakeups (see wakeup_bytes in bpf/configs.h).
const drainInterval = 50 * time.Millisecond

func (c *Collector) readLoop() {
	var rec ringbuf.Record
	var ev decoder.TraceEvent
	c.reader.SetDeadline(time.Now().Add(drainInterval))
	for {
		if err := c.reader.ReadInto(&rec); err != nil {
			if errors.Is(err, ringbuf.ErrClosed) {
				return
			}
			if errors.Is(err, os.ErrDeadlineExceeded) {
				c.reader.SetDeadline(time.Now().Add(drainInterval))
				continue
			}
			c.log.Warn("read ring buffer", "error", err)
			continue
		}
		c.handle(rec.RawSample, &ev)
	}
}

// handle decodes one record and writes its flow to the ring.
func (c *Collector) handle(raw []byte, ev *decoder.TraceEvent) {
	if err := decoder.Decode(raw, ev); err != nil {
		c.decodeErrors.Add(1)
		return
	}
	f := c.parser.Flow(ev)
	if c.cfg.Observer != nil {
		c.cfg.Observer.Observe(f)
	}
	c.ring.Write(ring.Entry{TimeNs: c.parser.WallTime(ev.TimeNs), Flow: f})
	c.seen.Add(1)
}

// lossLoop turns growth of the kernel's lost counters and of decode errors
// into lost-event records in the ring, so no loss is silent.
func (c *Collector) lossLoop(ctx context.Context) {
	t := time.NewTicker(c.cfg.LossInterval)
	defer t.Stop()
	var lastCPU []uint64
	var lastDecode, lastL7 uint64
	for {
		if d := c.l7Lost.Load(); d > lastL7 {
			c.writeLost(flow.LostEventSource_L7_PROXY, d-lastL7, -1)
			lastL7 = d
		}
		lastCPU = c.pollKernelLoss(lastCPU)
		if d := c.decodeErrors.Load(); d > lastDecode {
			c.writeLost(flow.LostEventSource_DECODE_ERROR, d-lastDecode, -1)
			lastDecode = d
		}
		c.rate.sample(time.Now(), c.seen.Load())
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (c *Collector) pollKernelLoss(last []uint64) []uint64 {
	cur, err := c.lost.PerCPU()
	if err != nil {
		c.log.Warn("read lost events", "error", err)
		return last
	}
	var total uint64
	for cpu, n := range cur {
		total += n
		var prev uint64
		if cpu < len(last) {
			prev = last[cpu]
		}
		if n > prev {
			c.writeLost(flow.LostEventSource_KERNEL_RING_BUFFER, n-prev, int32(cpu))
		}
	}
	c.kernelLost.Store(total)
	return cur
}

func (c *Collector) writeLost(src flow.LostEventSource, n uint64, cpu int32) {
	c.ring.Write(ring.Entry{
		TimeNs: time.Now().UnixNano(),
		Lost:   &flow.LostEvent{Source: src, NumEventsLost: n, Cpu: cpu},
	})
}

// Stats is what ServerStatus reports.
type Stats struct {
	Seen, KernelLost, DecodeErrors uint64
	Rate                           float64
	Uptime                         time.Duration
}

// Stats returns the collector's counters.
func (c *Collector) Stats() Stats {
	return Stats{
		Seen: c.seen.Load(), KernelLost: c.kernelLost.Load(), DecodeErrors: c.decodeErrors.Load(),
		Rate: c.rate.perSecond(), Uptime: time.Since(c.started),
	}
}
