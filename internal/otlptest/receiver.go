// Package otlptest is an in-process OTLP gRPC receiver for tests, built on
// the official OpenTelemetry protos: what loupe exports arrives here as a
// collector, Jaeger or Tempo would get it.
package otlptest

import (
	"context"
	"net"
	"sync"
	"testing"
	"time"

	collogs "go.opentelemetry.io/proto/otlp/collector/logs/v1"
	coltrace "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	logspb "go.opentelemetry.io/proto/otlp/logs/v1"
	resourcepb "go.opentelemetry.io/proto/otlp/resource/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// Span is one received span with the resource it came under.
type Span struct {
	Resource *resourcepb.Resource
	*tracepb.Span
}

// Service is the span's resource service.name.
func (s Span) Service() string { return Attr(s.Resource.GetAttributes(), "service.name") }

// Attr is the span's attribute key as a string ("" when absent).
func (s Span) Attr(key string) string { return Attr(s.Span.GetAttributes(), key) }

// Record is one received log record with its resource.
type Record struct {
	Resource *resourcepb.Resource
	*logspb.LogRecord
}

// Receiver serves OTLP gRPC TraceService and LogsService on loopback and
// keeps what it receives.
type Receiver struct {
	coltrace.UnimplementedTraceServiceServer

	srv  *grpc.Server
	addr string
	done chan struct{}

	mu      sync.Mutex
	spans   []Span
	records []Record
	refuse  bool
}

// Start serves a receiver on 127.0.0.1 and stops it when the test ends.
func Start(t testing.TB) *Receiver {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	r := &Receiver{srv: grpc.NewServer(), addr: l.Addr().String(), done: make(chan struct{})}
	coltrace.RegisterTraceServiceServer(r.srv, r)
	collogs.RegisterLogsServiceServer(r.srv, logs{r: r})
	go func() {
		defer close(r.done)
		_ = r.srv.Serve(l)
	}()
	t.Cleanup(r.Stop)
	return r
}

// Addr is the receiver's host:port.
func (r *Receiver) Addr() string { return r.addr }

// Stop ends the server; it is safe to call twice.
func (r *Receiver) Stop() {
	r.srv.Stop()
	<-r.done
}

// Refuse makes every export fail (PermissionDenied, which exporters do not retry) while on.
func (r *Receiver) Refuse(on bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.refuse = on
}

// Export implements TraceService.
func (r *Receiver) Export(_ context.Context, req *coltrace.ExportTraceServiceRequest) (*coltrace.ExportTraceServiceResponse, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.refuse {
		return nil, status.Error(codes.PermissionDenied, "refusing")
	}
	for _, rs := range req.GetResourceSpans() {
		for _, ss := range rs.GetScopeSpans() {
			for _, s := range ss.GetSpans() {
				r.spans = append(r.spans, Span{Resource: rs.GetResource(), Span: s})
			}
		}
	}
	return &coltrace.ExportTraceServiceResponse{}, nil
}

// logs adapts LogsService's Export, whose name clashes with TraceService's.
type logs struct {
	collogs.UnimplementedLogsServiceServer
	r *Receiver
}

func (l logs) Export(_ context.Context, req *collogs.ExportLogsServiceRequest) (*collogs.ExportLogsServiceResponse, error) {
	r := l.r
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.refuse {
		return nil, status.Error(codes.PermissionDenied, "refusing")
	}
	for _, rl := range req.GetResourceLogs() {
		for _, sl := range rl.GetScopeLogs() {
			for _, rec := range sl.GetLogRecords() {
				r.records = append(r.records, Record{Resource: rl.GetResource(), LogRecord: rec})
			}
		}
	}
	return &collogs.ExportLogsServiceResponse{}, nil
}

// Spans returns what was received so far.
func (r *Receiver) Spans() []Span {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Span(nil), r.spans...)
}

// Records returns the log records received so far.
func (r *Receiver) Records() []Record {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Record(nil), r.records...)
}

// WaitSpans polls until ok holds for the spans received, failing the test
// after timeout. The timeout only bounds a test that would otherwise hang.
func (r *Receiver) WaitSpans(t testing.TB, timeout time.Duration, ok func([]Span) bool) []Span {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		spans := r.Spans()
		if ok(spans) {
			return spans
		}
		if time.Now().After(deadline) {
			t.Fatalf("spans received in %s do not satisfy the test (%d spans): %s", timeout, len(spans), Describe(spans))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// WaitRecords polls until ok holds for the records received.
func (r *Receiver) WaitRecords(t testing.TB, timeout time.Duration, ok func([]Record) bool) []Record {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		recs := r.Records()
		if ok(recs) {
			return recs
		}
		if time.Now().After(deadline) {
			t.Fatalf("log records received in %s do not satisfy the test (%d records)", timeout, len(recs))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Attr returns key's string value in attrs ("" when absent).
func Attr(attrs []*commonpb.KeyValue, key string) string {
	for _, kv := range attrs {
		if kv.GetKey() == key {
			return kv.GetValue().GetStringValue()
		}
	}
	return ""
}

// IntAttr returns key's int value in attrs (-1 when absent).
func IntAttr(attrs []*commonpb.KeyValue, key string) int64 {
	for _, kv := range attrs {
		if kv.GetKey() == key {
			return kv.GetValue().GetIntValue()
		}
	}
	return -1
}
