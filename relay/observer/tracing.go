package observer

import (
	"context"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"

	observerpb "github.com/loupe-dev/loupe/api/observer"
)

// traceGetFlows starts the span of one GetFlows call, with what the
// request asks for. The span ends with the stream; a follow's lasts as
// long as the client stays.
func (s *Server) traceGetFlows(ctx context.Context, req *observerpb.GetFlowsRequest) (context.Context, trace.Span) {
	attrs := []attribute.KeyValue{
		attribute.Int64("loupe.request.number", int64(req.GetNumber())),
		attribute.Bool("loupe.request.first", req.GetFirst()),
		attribute.Bool("loupe.request.follow", req.GetFollow()),
		attribute.Int("loupe.request.allow_filters", len(req.GetAllow())),
		attribute.Int("loupe.request.deny_filters", len(req.GetDeny())),
	}
	if since := req.GetSince(); since != nil {
		attrs = append(attrs, attribute.String("loupe.request.since", since.AsTime().Format(time.RFC3339Nano)))
	}
	if until := req.GetUntil(); until != nil {
		attrs = append(attrs, attribute.String("loupe.request.until", until.AsTime().Format(time.RFC3339Nano)))
	}
	return s.cfg.Tracer.Start(ctx, "GetFlows", trace.WithSpanKind(trace.SpanKindServer), trace.WithAttributes(attrs...))
}

// traceHistory starts the span of a read of the history (ClickHouse).
func (s *Server) traceHistory(ctx context.Context, until time.Time) (context.Context, trace.Span) {
	return s.cfg.Tracer.Start(ctx, "history.read", trace.WithSpanKind(trace.SpanKindClient),
		trace.WithAttributes(attribute.String("loupe.history.until", until.Format(time.RFC3339Nano))))
}

// endCounted ends a span with the number of flows it sent.
func endCounted(span trace.Span, flows uint64) {
	span.SetAttributes(attribute.Int64("loupe.flows", int64(flows)))
	span.End()
}
