package otlp

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/log"
	sdklog "go.opentelemetry.io/otel/sdk/log"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

	"github.com/loupe-dev/loupe/api/flow"
)

// Signal names, as Stats and the metrics label them.
const (
	SignalFlowSpans = "flow_spans"
	SignalFlowLogs  = "flow_logs"
	SignalSelfSpans = "self_spans"
)

// Exporter sends flows as spans and log records. It is a collector
// FlowObserver: Observe only queues.
type Exporter struct {
	cfg      Config
	spans    *queue[*flow.Flow]
	logs     *queue[*flow.Flow]
	spanExp  sdktrace.SpanExporter
	logExp   sdklog.Exporter
	services serviceResources
	seen     recentSpans
	logger   log.Logger
	pending  *pendingRecords
	logProv  *sdklog.LoggerProvider
}

// New wires an exporter to the OTLP exporters of a Client (or any others);
// it starts nothing. The exporters' own shutdown is left to their owner.
func New(cfg Config, spans sdktrace.SpanExporter, logs sdklog.Exporter) (*Exporter, error) {
	cfg = cfg.withDefaults()
	e := &Exporter{cfg: cfg, spanExp: spans, logExp: logs}
	if cfg.Spans {
		if spans == nil {
			return nil, errors.New("flow spans need a span exporter")
		}
		e.services = serviceResources{node: cfg.NodeName, m: map[string]*resource.Resource{}}
		e.seen = newRecentSpans(4096)
		e.spans = newQueue(SignalFlowSpans, cfg, e.exportSpans)
	}
	if cfg.Logs {
		if logs == nil {
			return nil, errors.New("flow logs need a log exporter")
		}
		e.pending = &pendingRecords{}
		e.logProv = sdklog.NewLoggerProvider(
			sdklog.WithResource(AgentResource("loupe-agent", cfg.NodeName)),
			sdklog.WithProcessor(e.pending))
		e.logger = e.logProv.Logger(Scope.Name)
		e.logs = newQueue(SignalFlowLogs, cfg, e.exportLogs)
	}
	return e, nil
}

// Observe queues a flow for the signals it belongs to. It never blocks.
func (e *Exporter) Observe(f *flow.Flow) {
	if e.spans != nil && IsSpanFlow(f) {
		e.spans.offer(f)
	}
	if e.logs != nil && (e.cfg.LogFilter == nil || e.cfg.LogFilter(f)) {
		e.logs.offer(f)
	}
}

// Start starts each signal's owner goroutine.
func (e *Exporter) Start() {
	for _, q := range []*queue[*flow.Flow]{e.spans, e.logs} {
		if q != nil {
			q.start()
		}
	}
}

// Stop exports what is queued (each batch within the export timeout) and
// ends the goroutines.
func (e *Exporter) Stop() {
	for _, q := range []*queue[*flow.Flow]{e.spans, e.logs} {
		if q != nil {
			q.close()
		}
	}
}

// Stats returns each enabled signal's counters.
func (e *Exporter) Stats() map[string]QueueStats {
	out := map[string]QueueStats{}
	if e.spans != nil {
		out[SignalFlowSpans] = e.spans.stats()
	}
	if e.logs != nil {
		out[SignalFlowLogs] = e.logs.stats()
	}
	return out
}

func (e *Exporter) exportSpans(ctx context.Context, fs []*flow.Flow) error {
	spans := make([]sdktrace.ReadOnlySpan, 0, len(fs))
	for _, f := range fs {
		s := FlowSpan(f, e.services.get)
		// A denied request may come as a request flow and a 403 response
		// flow with the same span id: export it once.
		if e.seen.add(s.SpanContext().SpanID()) {
			spans = append(spans, s)
		}
	}
	if len(spans) == 0 {
		return nil
	}
	if err := e.spanExp.ExportSpans(ctx, spans); err != nil {
		return fmt.Errorf("export %d flow spans: %w", len(spans), err)
	}
	return nil
}

func (e *Exporter) exportLogs(ctx context.Context, fs []*flow.Flow) error {
	now := time.Now()
	for _, f := range fs {
		r, sc := FlowRecord(f, now)
		e.logger.Emit(trace.ContextWithSpanContext(ctx, sc), r)
	}
	recs := e.pending.take()
	if err := e.logExp.Export(ctx, recs); err != nil {
		return fmt.Errorf("export %d flow records: %w", len(recs), err)
	}
	return nil
}

// pendingRecords is the log provider's processor: it collects what the
// queue's owner emits so that the owner exports it as one batch. Only that
// goroutine emits, so it needs no lock.
type pendingRecords struct{ recs []sdklog.Record }

func (p *pendingRecords) OnEmit(_ context.Context, r *sdklog.Record) error {
	p.recs = append(p.recs, r.Clone())
	return nil
}
func (p *pendingRecords) Enabled(context.Context, sdklog.EnabledParameters) bool { return true }
func (p *pendingRecords) Shutdown(context.Context) error                         { return nil }
func (p *pendingRecords) ForceFlush(context.Context) error                       { return nil }

func (p *pendingRecords) take() []sdklog.Record {
	recs := p.recs
	p.recs = make([]sdklog.Record, 0, len(recs))
	return recs
}

// serviceResources caches one resource per service. It is bounded: past
// maxServices it starts over.
type serviceResources struct {
	node string
	m    map[string]*resource.Resource
}

const maxServices = 4096

func (s *serviceResources) get(service, namespace string) *resource.Resource {
	if r, ok := s.m[service]; ok {
		return r
	}
	if len(s.m) >= maxServices {
		clear(s.m)
	}
	attrs := []attribute.KeyValue{attribute.String("service.name", service), attribute.String("loupe.node", s.node)}
	if namespace != "" {
		attrs = append(attrs, attribute.String("service.namespace", namespace))
	}
	r := resource.NewSchemaless(attrs...)
	s.m[service] = r
	return r
}

// recentSpans remembers the last n span ids exported.
type recentSpans struct {
	ring []trace.SpanID
	next int
	set  map[trace.SpanID]struct{}
}

func newRecentSpans(n int) recentSpans {
	return recentSpans{ring: make([]trace.SpanID, n), set: make(map[trace.SpanID]struct{}, n)}
}

// add reports whether id is new, remembering it.
func (r *recentSpans) add(id trace.SpanID) bool {
	if _, ok := r.set[id]; ok {
		return false
	}
	delete(r.set, r.ring[r.next])
	r.ring[r.next] = id
	r.set[id] = struct{}{}
	r.next = (r.next + 1) % len(r.ring)
	return true
}

// AgentResource is the resource of what loupe itself emits: its own spans
// and flow log records.
func AgentResource(service, node string) *resource.Resource {
	return resource.NewSchemaless(
		attribute.String("service.name", service),
		attribute.String("service.namespace", "loupe"),
		attribute.String("host.name", node),
	)
}
