package sink

import (
	"context"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
)

// traceInsert starts the span of one batch's insert, retries included.
func (s *Sink) traceInsert(flows int) trace.Span {
	_, span := s.cfg.Tracer.Start(context.Background(), "clickhouse.insert",
		trace.WithSpanKind(trace.SpanKindClient),
		trace.WithAttributes(attribute.String("db.system", "clickhouse"), attribute.String("db.operation.name", "INSERT"), attribute.Int("loupe.flows", flows)))
	return span
}

// traceAttempt records a failed attempt as an event (the span's status is
// the last attempt's: a batch that went in after retries is Ok).
func traceAttempt(span trace.Span, err error) {
	if err == nil {
		span.SetStatus(codes.Ok, "")
		return
	}
	span.RecordError(err)
	span.SetStatus(codes.Error, err.Error())
}
