package collector

import (
	"io"
	"log/slog"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/loupe-dev/loupe/collector/decoder"
	"github.com/loupe-dev/loupe/collector/parser"
)

// TestHealthReadsStats: health metrics are the collector's own counters,
// read on scrape.
func TestHealthReadsStats(t *testing.T) {
	p := parser.New("test", func() parser.Endpoints { return noEndpoints{} }, noEndpoints{}, nil)
	c, err := New(Config{NodeName: "test", RingSize: 16}, slog.New(slog.NewTextHandler(io.Discard, nil)), nil, nil, p)
	if err != nil {
		t.Fatal(err)
	}
	var ev decoder.TraceEvent
	raw := goldenEvent(t, "tcp_syn_v4")
	for range 3 {
		c.handle(raw, &ev)
	}
	c.handle(raw[:10], &ev) // a decode error
	reg := prometheus.NewRegistry()
	reg.MustRegister(c.Health())
	want := `# HELP loupe_flow_ring_capacity Capacity of the agent's flow ring.
# TYPE loupe_flow_ring_capacity gauge
loupe_flow_ring_capacity 16
# HELP loupe_flow_ring_entries Flows held in the agent's flow ring.
# TYPE loupe_flow_ring_entries gauge
loupe_flow_ring_entries 3
# HELP loupe_flows_seen_total Flows written to the agent's flow ring.
# TYPE loupe_flows_seen_total counter
loupe_flows_seen_total 3
# HELP loupe_lost_events_total Events lost before they became flows, by where they were lost.
# TYPE loupe_lost_events_total counter
loupe_lost_events_total{source="decode_error"} 1
loupe_lost_events_total{source="kernel_ring_buffer"} 0
# HELP loupe_ringbuf_events_read_total Events read from the datapath's ring buffer.
# TYPE loupe_ringbuf_events_read_total counter
loupe_ringbuf_events_read_total 4
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want)); err != nil {
		t.Error(err)
	}
}
