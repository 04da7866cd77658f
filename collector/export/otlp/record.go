package otlp

import (
	"strconv"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/log"
	"go.opentelemetry.io/otel/trace"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/loupe-dev/loupe/api/flow"
)

// FlowRecord turns a flow into a log record: the body is the flow as JSON
// (the same as `loupe observe -o json` prints under "flow"), attributes
// carry the fields one filters on in a log store, and an L7 flow's trace
// context (returned, for the context of Emit) links the record to its
// trace.
func FlowRecord(f *flow.Flow, observed time.Time) (log.Record, trace.SpanContext) {
	var r log.Record
	r.SetTimestamp(f.GetTime().AsTime())
	r.SetObservedTimestamp(observed)
	r.SetEventName("loupe.flow")
	body, _ := protojson.Marshal(f)
	r.SetBody(attribute.StringValue(string(body)))
	switch f.GetVerdict() {
	case flow.Verdict_DROPPED, flow.Verdict_ERROR:
		r.SetSeverity(log.SeverityWarn)
	default:
		r.SetSeverity(log.SeverityInfo)
	}
	r.SetSeverityText(f.GetVerdict().String())
	src, dst := f.GetSource(), f.GetDestination()
	srcPort, dstPort := ports(f)
	attrs := []attribute.KeyValue{
		attribute.String("loupe.node", f.GetNodeName()),
		attribute.String("loupe.flow.id", strconv.FormatUint(f.GetId(), 10)),
		attribute.String("loupe.verdict", f.GetVerdict().String()),
		attribute.String("loupe.event_type", f.GetEventType().String()),
		attribute.String("loupe.source.workload", serviceName(src, f.GetIp().GetSource())),
		attribute.Int64("loupe.source.identity", int64(src.GetIdentity())),
		attribute.String("loupe.destination.workload", serviceName(dst, f.GetIp().GetDestination())),
		attribute.Int64("loupe.destination.identity", int64(dst.GetIdentity())),
		attribute.Bool("loupe.is_reply", f.GetIsReply()),
	}
	if ns := src.GetNamespace(); ns != "" {
		attrs = append(attrs, attribute.String("loupe.source.namespace", ns))
	}
	if ns := dst.GetNamespace(); ns != "" {
		attrs = append(attrs, attribute.String("loupe.destination.namespace", ns))
	}
	if ip := f.GetIp(); ip != nil {
		attrs = append(attrs, attribute.String("source.address", ip.GetSource()), attribute.String("destination.address", ip.GetDestination()))
	}
	if srcPort != 0 || dstPort != 0 {
		attrs = append(attrs, attribute.Int("source.port", int(srcPort)), attribute.Int("destination.port", int(dstPort)))
	}
	if r := f.GetDropReason(); r != flow.DropReason_DROP_REASON_UNKNOWN {
		attrs = append(attrs, attribute.String("loupe.drop_reason", r.String()))
	}
	if h := f.GetL7().GetHttp(); h != nil {
		attrs = append(attrs, attribute.String("http.request.method", h.GetMethod()), attribute.String("url.full", h.GetUrl()))
		if h.GetCode() != 0 {
			attrs = append(attrs, attribute.Int("http.response.status_code", int(h.GetCode())))
		}
	}
	if d := f.GetL7().GetDns(); d != nil {
		attrs = append(attrs, attribute.String("dns.question.name", d.GetQuery()))
	}
	r.AddAttributes(attrs...)
	var sc trace.SpanContext
	tc := f.GetTraceContext()
	if tid, err := trace.TraceIDFromHex(hexID(tc.GetTraceId(), 16)); err == nil {
		sid, _ := trace.SpanIDFromHex(hexID(tc.GetSpanId(), 8))
		sc = trace.NewSpanContext(trace.SpanContextConfig{TraceID: tid, SpanID: sid, TraceFlags: trace.FlagsSampled})
	}
	return r, sc
}
