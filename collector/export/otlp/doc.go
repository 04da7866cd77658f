// Package otlp sends flows and loupe's own traces to an OpenTelemetry
// collector (or Jaeger, Tempo) over OTLP gRPC.
//
// Three signals leave through it, each through its own bounded queue owned by
// one goroutine that batches and exports:
//
//   - flow spans: one span per L7 HTTP/gRPC request, from the proxy's
//     response flow (or the request flow the proxy denied). Span and parent
//     ids are the flow's trace context, so a call chain reads as one trace;
//     see FlowSpan for the mapping.
//   - flow logs: flows as OTLP log records, the flow's JSON as the body.
//   - self spans: the spans the agent and relay make of their own work
//     (TracerProvider).
//
// Offering never blocks: what does not fit a queue is dropped and counted
// (Stats, loupe_otlp_dropped_total). A batch the receiver refuses is
// counted as failed, not retried beyond what the OTLP exporter itself does.
package otlp
