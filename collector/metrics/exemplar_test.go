package metrics

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/loupe-dev/loupe/api/flow"
)

// TestDurationExemplarsOverOpenMetrics: an HTTP response with a trace
// context puts its trace id on the duration bucket it falls in, and a
// scraper that asks for OpenMetrics (as Prometheus does) reads it there; a
// response without one adds no exemplar.
func TestDurationExemplarsOverOpenMetrics(t *testing.T) {
	m, reg := newTestMetrics(t, "http:destinationContext=workload", 100)
	const traceID = "4bf92f3577b34da6a3ce929d0e0e4736"
	response := func(latencyNs uint64, trace string) *flow.Flow {
		f := &flow.Flow{EventType: flow.EventType_L7, IsReply: true, Source: catalog, Destination: frontend,
			L7: &flow.Layer7{Type: flow.L7FlowType_RESPONSE, LatencyNs: latencyNs,
				Record: &flow.Layer7_Http{Http: &flow.HTTP{Method: "GET", Protocol: "HTTP/1.1", Code: 200}}}}
		if trace != "" {
			f.TraceContext = &flow.TraceContext{TraceId: trace, SpanId: "00f067aa0ba902b7"}
		}
		return f
	}
	m.Observe(response(3e6, traceID)) // 3 ms: the 0.005 bucket
	m.Observe(response(200e6, ""))    // 200 ms, no trace: no exemplar on 0.25

	srv := httptest.NewServer(promhttp.HandlerFor(reg, promhttp.HandlerOpts{EnableOpenMetrics: true}))
	defer srv.Close()
	req, _ := http.NewRequest(http.MethodGet, srv.URL, nil)
	req.Header.Set("Accept", "application/openmetrics-text; version=1.0.0")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	text := string(body)

	want := `loupe_http_request_duration_seconds_bucket{destination="shop/catalog",method="GET",le="0.005"} 1 # {trace_id="` + traceID + `"} 0.003`
	if !strings.Contains(text, want) {
		t.Errorf("no exemplar with the trace id on the 5 ms bucket; want a line starting\n%s\nin:\n%s", want, text)
	}
	if n := strings.Count(text, "trace_id="); n != 1 {
		t.Errorf("%d exemplars, want 1 (the response without a trace context has none):\n%s", n, text)
	}
}
