package otlp

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/loupe-dev/loupe/api/flow"
	"github.com/loupe-dev/loupe/internal/otlptest"
)

// gatedSpans is an exporter that waits for the test before each export.
type gatedSpans struct {
	gate     chan struct{}
	exported atomic.Int64
	fail     bool
}

func (g *gatedSpans) ExportSpans(ctx context.Context, s []sdktrace.ReadOnlySpan) error {
	select {
	case <-g.gate:
	case <-ctx.Done():
		return ctx.Err()
	}
	if g.fail {
		return errors.New("refused")
	}
	g.exported.Add(int64(len(s)))
	return nil
}
func (g *gatedSpans) Shutdown(context.Context) error { return nil }

// TestQueueFullDrops: the reader never waits on an exporter; what does not
// fit is counted, and every offered flow is accounted for.
func TestQueueFullDrops(t *testing.T) {
	exp := &gatedSpans{gate: make(chan struct{})}
	e, err := New(Config{Spans: true, QueueSize: 8, BatchSize: 4, FlushInterval: time.Hour}, exp, nil)
	if err != nil {
		t.Fatal(err)
	}
	e.Start()
	start := time.Unix(1_700_000_000, 0)
	const offered = 100
	for i := range offered {
		tc := &flow.TraceContext{TraceId: traceID, SpanId: "00000000000000" + string(rune('a'+i/16)) + string("0123456789abcdef"[i%16])}
		e.Observe(l7(flow.L7FlowType_RESPONSE, frontend, catalog, start.Add(time.Duration(i)), tc, &flow.HTTP{Method: "GET", Url: "/", Code: 200}, 0))
	}
	st := e.Stats()[SignalFlowSpans]
	if st.DroppedFull == 0 {
		t.Errorf("nothing dropped with a queue of 8 and a blocked exporter: %+v", st)
	}
	close(exp.gate)
	e.Stop()
	st = e.Stats()[SignalFlowSpans]
	if st.Exported+st.DroppedFull != offered || uint64(exp.exported.Load()) != st.Exported {
		t.Errorf("stats %+v, exporter got %d: want exported + dropped = %d offered", st, exp.exported.Load(), offered)
	}
}

func TestExportFailureCounted(t *testing.T) {
	rcv := otlptest.Start(t)
	rcv.Refuse(true)
	ctx := context.Background()
	c, err := Dial(ctx, rcv.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(ctx)
	e, err := New(Config{Spans: true, FlushInterval: 10 * time.Millisecond}, c.Spans, c.Logs)
	if err != nil {
		t.Fatal(err)
	}
	e.Start()
	for _, f := range chain(time.Unix(1_700_000_000, 0)) {
		e.Observe(f)
	}
	e.Stop()
	if st := e.Stats()[SignalFlowSpans]; st.Failed != 4 || st.Exported != 0 {
		t.Errorf("stats %+v, want the 4 spans counted as failed", st)
	}
}

func TestSelfTracer(t *testing.T) {
	rcv := otlptest.Start(t)
	ctx := context.Background()
	c, err := Dial(ctx, rcv.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(ctx)
	tp, err := NewSelfTracer(Config{NodeName: "vm", FlushInterval: 10 * time.Millisecond}, c.Spans, "loupe-relay")
	if err != nil {
		t.Fatal(err)
	}
	tr := tp.Tracer("test")
	pctx, parent := tr.Start(ctx, "GetFlows")
	_, child := tr.Start(pctx, "history")
	child.End()
	parent.End()
	spans := rcv.WaitSpans(t, 30*time.Second, func(s []otlptest.Span) bool { return len(s) == 2 })
	if err := tp.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	for _, s := range spans {
		if s.Service() != "loupe-relay" {
			t.Errorf("span %q of service %q, want loupe-relay", s.GetName(), s.Service())
		}
		if s.GetName() == "history" && string(s.GetParentSpanId()) != string(spans[1].GetSpanId()) {
			t.Errorf("history's parent is not GetFlows: %s", otlptest.Describe(spans))
		}
	}
	if st := tp.Stats()[SignalSelfSpans]; st.Exported != 2 {
		t.Errorf("stats %+v, want 2 exported", st)
	}
}
