package file

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/loupe-dev/loupe/api/flow"
	"github.com/loupe-dev/loupe/api/observer"
	"github.com/loupe-dev/loupe/collector/filters"
)

// DefaultQueueSize is the flows the exporter buffers before dropping.
const DefaultQueueSize = 8192

// lossInterval is how often drops are written into the files when no flow
// comes to carry them.
const lossInterval = time.Second

// Exporter writes flows into the files of its configuration. Observe may be
// called from the collector's reader; everything else is done by the one
// goroutine that Start starts.
type Exporter struct {
	log     *slog.Logger
	in      chan *flow.Flow
	applyCh chan applyRequest
	stop    chan struct{}
	done    chan struct{}
	dropped atomic.Uint64

	// Owned by the goroutine.
	logs     []*flowLog
	reported uint64

	mu       sync.Mutex
	counters map[string]*LogStats
}

// LogStats are one flow log's counters.
type LogStats struct {
	Written, Errors uint64
}

type flowLog struct {
	cfg   FlowLog
	allow filters.Func
	mask  mask
	w     *rotatingFile
	stats *LogStats
	// failing is set after a write error, so that an outage is logged once.
	failing bool
}

type applyRequest struct {
	cfg  *Config
	errc chan error
}

// New makes an exporter with no flow logs; Apply gives it some. queueSize
// <= 0 takes DefaultQueueSize.
func New(queueSize int, log *slog.Logger) *Exporter {
	if queueSize <= 0 {
		queueSize = DefaultQueueSize
	}
	return &Exporter{
		log: log, in: make(chan *flow.Flow, queueSize), applyCh: make(chan applyRequest),
		stop: make(chan struct{}), done: make(chan struct{}), counters: map[string]*LogStats{},
	}
}

// Observe queues a flow; a full queue drops it and counts it. It never
// blocks and never changes f.
func (e *Exporter) Observe(f *flow.Flow) {
	select {
	case e.in <- f:
	default:
		e.dropped.Add(1)
	}
}

// Start starts the goroutine that owns the queue and the files.
func (e *Exporter) Start() { go e.run() }

// Stop writes what is queued, closes the files and ends the goroutine.
func (e *Exporter) Stop() {
	close(e.stop)
	<-e.done
}

// Apply replaces the configuration between two flows. Files of logs that
// stay (same name and file) are kept open; new ones are opened first, and
// if one cannot be, nothing changes and the error says which. The
// exporter must have been started.
func (e *Exporter) Apply(cfg *Config) error {
	req := applyRequest{cfg: cfg, errc: make(chan error, 1)}
	select {
	case e.applyCh <- req:
		return <-req.errc
	case <-e.done:
		return errors.New("exporter stopped")
	}
}

// Dropped is the number of flows dropped because the queue was full.
func (e *Exporter) Dropped() uint64 { return e.dropped.Load() }

// QueueDepth and QueueCapacity are the queue's fill.
func (e *Exporter) QueueDepth() int    { return len(e.in) }
func (e *Exporter) QueueCapacity() int { return cap(e.in) }

// Stats returns each configured flow log's counters, by name.
func (e *Exporter) Stats() map[string]LogStats {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := make(map[string]LogStats, len(e.counters))
	for name, c := range e.counters {
		out[name] = *c
	}
	return out
}

func (e *Exporter) run() {
	defer close(e.done)
	t := time.NewTicker(lossInterval)
	defer t.Stop()
	for {
		select {
		case f := <-e.in:
			e.reportLoss()
			e.write(f)
		case req := <-e.applyCh:
			req.errc <- e.swap(req.cfg)
		case <-t.C:
			e.reportLoss()
		case <-e.stop:
			// What was dropped before the flows still queued comes first.
			e.reportLoss()
			for {
				select {
				case f := <-e.in:
					e.write(f)
					continue
				default:
				}
				break
			}
			e.reportLoss()
			for _, l := range e.logs {
				if err := l.w.close(); err != nil {
					e.log.Warn("close flow log", "name", l.cfg.Name, "error", err)
				}
			}
			return
		}
	}
}

// write puts f into every log that lets it through, encoding it once per
// distinct mask.
func (e *Exporter) write(f *flow.Flow) {
	var whole []byte
	for _, l := range e.logs {
		if !l.allow(f) {
			continue
		}
		var line []byte
		if l.mask == nil {
			if whole == nil {
				whole = encode(flowResponse(f, f))
			}
			line = whole
		} else {
			line = encode(flowResponse(f, l.mask.apply(f)))
		}
		e.writeLine(l, line)
	}
}

func (e *Exporter) writeLine(l *flowLog, line []byte) {
	err := l.w.write(line)
	e.mu.Lock()
	if err != nil {
		l.stats.Errors++
	} else {
		l.stats.Written++
	}
	e.mu.Unlock()
	if err != nil && !l.failing {
		e.log.Error("write flow log: flows are lost until it recovers", "name", l.cfg.Name, "file", l.cfg.FilePath, "error", err)
	}
	l.failing = err != nil
}

// reportLoss writes what the queue dropped since the last report into
// every log, as a lost_events line: a reader of the file sees the gap.
func (e *Exporter) reportLoss() {
	d := e.dropped.Load()
	if d == e.reported {
		return
	}
	line := encode(&observer.GetFlowsResponse{
		ResponseTypes: &observer.GetFlowsResponse_LostEvents{LostEvents: &flow.LostEvent{Source: flow.LostEventSource_EXPORT_QUEUE, NumEventsLost: d - e.reported, Cpu: -1}},
		Time:          timestamppb.Now(),
	})
	e.reported = d
	for _, l := range e.logs {
		e.writeLine(l, line)
	}
}

func flowResponse(orig, f *flow.Flow) *observer.GetFlowsResponse {
	return &observer.GetFlowsResponse{
		ResponseTypes: &observer.GetFlowsResponse_Flow{Flow: f},
		NodeName:      orig.GetNodeName(),
		Time:          orig.GetTime(),
	}
}

// encode is one JSON line. protojson varies its spacing on purpose;
// compacting makes the lines the same from run to run.
func encode(r *observer.GetFlowsResponse) []byte {
	b, err := protojson.Marshal(r)
	if err != nil {
		// Only invalid UTF-8 gets here; the flow is still worth a line.
		b, _ = protojson.MarshalOptions{AllowPartial: true}.Marshal(r)
	}
	var out bytes.Buffer
	out.Grow(len(b) + 1)
	if json.Compact(&out, b) != nil {
		out.Reset()
		out.Write(b)
	}
	out.WriteByte('\n')
	return out.Bytes()
}

// swap installs cfg: keeps the writers of unchanged files, opens the new
// ones, closes those no longer wanted.
func (e *Exporter) swap(cfg *Config) error {
	old := map[string]*flowLog{}
	for _, l := range e.logs {
		old[l.cfg.Name] = l
	}
	var next []*flowLog
	var opened []*rotatingFile
	for _, fl := range cfg.FlowLogs {
		allow, err := filters.Compile(fl.Allow, fl.Deny)
		if err != nil {
			closeAll(opened)
			return fmt.Errorf("flow log %s: %w", fl.Name, err)
		}
		l := &flowLog{cfg: fl, allow: allow, mask: compileMask(fl.FieldMask), stats: &LogStats{}}
		if o, ok := old[fl.Name]; ok && sameFile(o.cfg, fl) {
			l.w, l.stats, l.failing = o.w, o.stats, o.failing
			delete(old, fl.Name)
		} else {
			if l.w, err = openRotating(fl); err != nil {
				closeAll(opened)
				return fmt.Errorf("flow log %s: %w", fl.Name, err)
			}
			opened = append(opened, l.w)
			if o, ok := old[fl.Name]; ok {
				l.stats = o.stats
			}
		}
		next = append(next, l)
	}
	for _, l := range old {
		if err := l.w.close(); err != nil {
			e.log.Warn("close flow log", "name", l.cfg.Name, "error", err)
		}
	}
	e.logs = next
	e.mu.Lock()
	e.counters = make(map[string]*LogStats, len(next))
	for _, l := range next {
		e.counters[l.cfg.Name] = l.stats
	}
	e.mu.Unlock()
	return nil
}

// sameFile reports whether a log keeps its open file across a change:
// the same path and rotation.
func sameFile(a, b FlowLog) bool {
	return a.FilePath == b.FilePath && a.MaxSize == b.MaxSize && a.MaxBackups == b.MaxBackups && a.Compress == b.Compress
}

func closeAll(ws []*rotatingFile) {
	for _, w := range ws {
		w.close()
	}
}
