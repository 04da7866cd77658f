package metrics

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	dto "github.com/prometheus/client_model/go"

	"github.com/loupe-dev/loupe/api/flow"
)

func workloads(n int) []*flow.Endpoint {
	eps := make([]*flow.Endpoint, n)
	for i := range eps {
		eps[i] = &flow.Endpoint{Id: uint32(i + 1), Identity: uint32(256 + i), Namespace: "ns", Workload: fmt.Sprintf("w%d", i)}
	}
	return eps
}

func traceFrom(ep *flow.Endpoint) *flow.Flow {
	return &flow.Flow{EventType: flow.EventType_TRACE, Verdict: flow.Verdict_FORWARDED, ObservationPoint: flow.ObservationPoint_FROM_ENDPOINT, Source: ep}
}

// TestSeriesCap: 500 workloads with a cap of 100 give at most 100 series
// plus the folded one, and the folded counter reports the rest.
func TestSeriesCap(t *testing.T) {
	m, reg := newTestMetrics(t, "flow:sourceContext=workload", 100)
	for _, ep := range workloads(500) {
		m.Observe(traceFrom(ep))
		m.Observe(traceFrom(ep))
	}
	n, err := testutil.GatherAndCount(reg, "loupe_flows_processed_total")
	if err != nil {
		t.Fatal(err)
	}
	if n != 101 {
		t.Errorf("series = %d, want 100 + 1 folded", n)
	}
	want := `# HELP loupe_metrics_series_folded_total Observations counted in a metric's "other" series because the metric had reached its series cap.
# TYPE loupe_metrics_series_folded_total counter
loupe_metrics_series_folded_total{metric="loupe_flows_processed_total"} 800
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "loupe_metrics_series_folded_total"); err != nil {
		t.Error(err)
	}
	other := testutil.ToFloat64(m.flows.counters.WithLabelValues("other", "other", "other", "other"))
	if other != 800 {
		t.Errorf("other series = %v, want 800", other)
	}
}

// TestExpiry: series of an endpoint that left go after Expiry, those of
// endpoints still there stay.
func TestExpiry(t *testing.T) {
	m, reg := newTestMetrics(t, "flow:sourceContext=workload,drop:sourceContext=identity", 100)
	eps := workloads(3)
	for _, ep := range eps {
		m.Observe(traceFrom(ep))
		f := traceFrom(ep)
		f.Verdict = flow.Verdict_DROPPED
		m.Observe(f)
	}
	remaining := NewLive(eps[:2], []uint32{256, 257})
	start := time.Unix(1000, 0)
	m.Sweep(start, remaining)
	m.Sweep(start.Add(4*time.Minute), remaining)
	if n, _ := testutil.GatherAndCount(reg, "loupe_flows_processed_total"); n != 6 {
		t.Fatalf("before expiry: %d series, want 6", n)
	}
	m.Sweep(start.Add(6*time.Minute), remaining)
	for metric, want := range map[string]int{"loupe_flows_processed_total": 4, "loupe_drop_total": 2} {
		if n, _ := testutil.GatherAndCount(reg, metric); n != want {
			t.Errorf("after expiry: %s has %d series, want %d", metric, n, want)
		}
	}
	// The freed room is used again under the cap.
	m.Observe(traceFrom(eps[2]))
	if n, _ := testutil.GatherAndCount(reg, "loupe_flows_processed_total"); n != 5 {
		t.Errorf("after return: %d series, want 5", n)
	}
}

// TestEndpointBackInTime: an endpoint that returns before Expiry keeps its
// series.
func TestEndpointBackInTime(t *testing.T) {
	m, reg := newTestMetrics(t, "flow:sourceContext=namespace", 100)
	eps := workloads(1)
	m.Observe(traceFrom(eps[0]))
	start := time.Unix(1000, 0)
	m.Sweep(start, NewLive(nil, nil))
	m.Sweep(start.Add(time.Minute), NewLive(eps, nil))
	m.Sweep(start.Add(10*time.Minute), NewLive(eps, nil))
	if n, _ := testutil.GatherAndCount(reg, "loupe_flows_processed_total"); n != 1 {
		t.Errorf("%d series, want 1", n)
	}
}

func TestHTTPDurationExemplar(t *testing.T) {
	m, reg := newTestMetrics(t, "http", 10)
	m.Observe(&flow.Flow{EventType: flow.EventType_L7, TraceContext: &flow.TraceContext{TraceId: "4bf92f3577b34da6a3ce929d0e0e4736"},
		L7: &flow.Layer7{Type: flow.L7FlowType_RESPONSE, LatencyNs: 3e6, Record: &flow.Layer7_Http{Http: &flow.HTTP{Method: "GET", Code: 200}}}})
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var found *dto.Exemplar
	for _, mf := range mfs {
		if mf.GetName() != "loupe_http_request_duration_seconds" {
			continue
		}
		for _, b := range mf.GetMetric()[0].GetHistogram().GetBucket() {
			if b.GetExemplar() != nil {
				found = b.GetExemplar()
			}
		}
	}
	if found == nil || found.GetLabel()[0].GetValue() != "4bf92f3577b34da6a3ce929d0e0e4736" || found.GetValue() != 0.003 {
		t.Errorf("exemplar = %v, want trace_id 4bf9... at 0.003", found)
	}
}

func TestParseSpecs(t *testing.T) {
	got, err := ParseSpecs("flow:sourceContext=namespace;destinationContext=workload,drop:sourceContext=identity,policy")
	if err != nil {
		t.Fatal(err)
	}
	want := []Spec{{"flow", ContextNamespace, ContextWorkload}, {"drop", ContextIdentity, ContextNone}, {"policy", ContextNone, ContextNone}}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("got %v, want %v", got, want)
	}
	for _, bad := range []string{"flows", "flow:sourceContext=pod", "flow:color=app", "flow,flow"} {
		if _, err := ParseSpecs(bad); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}

func TestStartStop(t *testing.T) {
	cfg := DefaultConfig()
	cfg.SweepInterval, cfg.Live = time.Millisecond, func() Live { return NewLive(nil, nil) }
	m, err := New(cfg, prometheus.NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	m.Start()
	time.Sleep(5 * time.Millisecond)
	m.Stop()
}
