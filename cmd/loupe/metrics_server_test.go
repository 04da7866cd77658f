package main

import (
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
)

// TestMetricsServerSpeaksOpenMetrics: a scraper that asks for OpenMetrics
// gets exemplars; a plain one gets the text format.
func TestMetricsServerSpeaksOpenMetrics(t *testing.T) {
	reg := newRegistry()
	h := prometheus.NewHistogram(prometheus.HistogramOpts{Name: "loupe_test_seconds", Help: "Test."})
	reg.MustRegister(h)
	h.(prometheus.ExemplarObserver).ObserveWithExemplar(0.2, prometheus.Labels{"trace_id": "4bf92f3577b34da6a3ce929d0e0e4736"})
	s, err := serveMetrics("--metrics-listen", "127.0.0.1:0", reg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := s.stop(); err != nil {
			t.Error(err)
		}
	}()
	get := func(accept string) string {
		req, _ := http.NewRequest(http.MethodGet, "http://"+s.addr.String()+"/metrics", nil)
		if accept != "" {
			req.Header.Set("Accept", accept)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return string(b)
	}
	om := get("application/openmetrics-text; version=1.0.0")
	if !strings.Contains(om, `# {trace_id="4bf92f3577b34da6a3ce929d0e0e4736"} 0.2`) || !strings.HasSuffix(om, "# EOF\n") {
		t.Errorf("OpenMetrics scrape has no exemplar:\n%s", om)
	}
	if text := get(""); !strings.Contains(text, "loupe_test_seconds_count 1") || strings.Contains(text, "trace_id") {
		t.Errorf("text scrape:\n%s", text)
	}
}

func TestMetricsServerBadAddressNamesFlag(t *testing.T) {
	_, err := serveMetrics("--metrics-listen", "127.0.0.1:99999", newRegistry(), slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err == nil || !strings.Contains(err.Error(), "--metrics-listen") {
		t.Errorf("error %v does not name --metrics-listen", err)
	}
}
