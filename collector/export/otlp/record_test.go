package otlp

import (
	"context"
	"testing"
	"time"

	"google.golang.org/protobuf/encoding/protojson"

	"github.com/loupe-dev/loupe/api/flow"
	"github.com/loupe-dev/loupe/collector/filters"
	"github.com/loupe-dev/loupe/internal/flowgen"
	"github.com/loupe-dev/loupe/internal/otlptest"
)

func TestFlowLogsOverOTLP(t *testing.T) {
	rcv := otlptest.Start(t)
	ctx := context.Background()
	c, err := Dial(ctx, rcv.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(ctx)
	dropped, err := filters.Compile([]*flow.FlowFilter{{Verdict: []flow.Verdict{flow.Verdict_DROPPED}}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	e, err := New(Config{NodeName: "vm", Logs: true, LogFilter: dropped, FlushInterval: 10 * time.Millisecond}, c.Spans, c.Logs)
	if err != nil {
		t.Fatal(err)
	}
	e.Start()
	g := flowgen.New(1, 20, []string{"vm"}, time.Unix(1_700_000_000, 0), time.Millisecond)
	want := map[uint64]*flow.Flow{}
	for range 500 {
		f := g.Next()
		if f.Verdict == flow.Verdict_DROPPED {
			want[f.Id] = f
		}
		e.Observe(f)
	}
	recs := rcv.WaitRecords(t, 30*time.Second, func(r []otlptest.Record) bool { return len(r) >= len(want) })
	e.Stop()
	if len(recs) != len(want) || len(want) == 0 {
		t.Fatalf("%d records, want the %d dropped flows", len(recs), len(want))
	}
	for _, r := range recs {
		var f flow.Flow
		if err := protojson.Unmarshal([]byte(r.GetBody().GetStringValue()), &f); err != nil {
			t.Fatalf("body is not a flow: %v", err)
		}
		w, ok := want[f.Id]
		if !ok || f.Verdict != flow.Verdict_DROPPED {
			t.Errorf("record of flow %d (%s): not one of the dropped flows", f.Id, f.Verdict)
			continue
		}
		if a := otlptest.Attr(r.GetAttributes(), "loupe.verdict"); a != "DROPPED" {
			t.Errorf("loupe.verdict %q", a)
		}
		if a := otlptest.Attr(r.GetAttributes(), "loupe.source.workload"); a != w.Source.Namespace+"/"+w.Source.Workload {
			t.Errorf("loupe.source.workload %q, want %s/%s", a, w.Source.Namespace, w.Source.Workload)
		}
		if got := int64(r.GetTimeUnixNano()); got != w.Time.AsTime().UnixNano() {
			t.Errorf("time %d, want the flow's %d", got, w.Time.AsTime().UnixNano())
		}
		if r.GetSeverityText() != "DROPPED" || otlptest.Attr(r.Resource.GetAttributes(), "service.name") != "loupe-agent" {
			t.Errorf("severity %q, resource %v", r.GetSeverityText(), r.Resource)
		}
	}
}

func TestFlowRecordTraceContext(t *testing.T) {
	f := chain(time.Unix(1_700_000_000, 0))[3]
	_, sc := FlowRecord(f, time.Now())
	if got := sc.TraceID().String(); got != traceID || sc.SpanID().String() != "1111111111111111" {
		t.Errorf("record's span context %s/%s, want the flow's %s/1111111111111111", got, sc.SpanID(), traceID)
	}
}
