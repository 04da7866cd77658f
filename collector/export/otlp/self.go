package otlp

import (
	"context"
	"errors"
	"fmt"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

// SelfTracer is the tracer provider of loupe's own work (relay queries,
// ClickHouse batches, policy applies). Its spans go through a bounded
// queue like the flows' (Stats, signal self_spans) instead of the SDK's
// batch processor, whose drops are not counted where loupe can show them.
type SelfTracer struct {
	*sdktrace.TracerProvider
	q *queue[sdktrace.ReadOnlySpan]
}

// NewSelfTracer makes the provider for service ("loupe-agent",
// "loupe-relay") on node and starts its queue's owner.
func NewSelfTracer(cfg Config, exp sdktrace.SpanExporter, service string) (*SelfTracer, error) {
	if exp == nil {
		return nil, errors.New("self tracing needs a span exporter")
	}
	cfg = cfg.withDefaults()
	q := newQueue(SignalSelfSpans, cfg, func(ctx context.Context, spans []sdktrace.ReadOnlySpan) error {
		if err := exp.ExportSpans(ctx, spans); err != nil {
			return fmt.Errorf("export %d spans: %w", len(spans), err)
		}
		return nil
	})
	q.start()
	tp := sdktrace.NewTracerProvider(
		sdktrace.WithResource(AgentResource(service, cfg.NodeName)),
		sdktrace.WithSpanProcessor(queueProcessor{q}),
	)
	return &SelfTracer{TracerProvider: tp, q: q}, nil
}

// Shutdown ends the provider and exports what its queue holds.
func (t *SelfTracer) Shutdown(ctx context.Context) error {
	return t.TracerProvider.Shutdown(ctx)
}

// Stats returns the self spans' counters.
func (t *SelfTracer) Stats() map[string]QueueStats {
	return map[string]QueueStats{SignalSelfSpans: t.q.stats()}
}

// queueProcessor hands ended spans to a queue without blocking.
type queueProcessor struct{ q *queue[sdktrace.ReadOnlySpan] }

func (p queueProcessor) OnStart(context.Context, sdktrace.ReadWriteSpan) {}
func (p queueProcessor) OnEnd(s sdktrace.ReadOnlySpan) {
	if s.SpanContext().IsSampled() {
		p.q.offer(s)
	}
}
func (p queueProcessor) Shutdown(context.Context) error   { p.q.close(); return nil }
func (p queueProcessor) ForceFlush(context.Context) error { return nil }
