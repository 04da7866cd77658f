package collector

import "github.com/prometheus/client_golang/prometheus"

// Health exposes the collector's counters to Prometheus, read from Stats
// and the ring on every scrape so nothing is counted twice.
type Health struct{ c *Collector }

// Health returns the collector's health metrics.
func (c *Collector) Health() *Health { return &Health{c} }

var (
	eventsReadDesc   = prometheus.NewDesc("loupe_ringbuf_events_read_total", "Events read from the datapath's ring buffer.", nil, nil)
	kernelLostDesc   = prometheus.NewDesc("loupe_lost_events_total", "Events lost before they became flows, by where they were lost.", []string{"source"}, nil)
	flowsDesc        = prometheus.NewDesc("loupe_flows_seen_total", "Flows written to the agent's flow ring.", nil, nil)
	ringFillDesc     = prometheus.NewDesc("loupe_flow_ring_entries", "Flows held in the agent's flow ring.", nil, nil)
	ringCapacityDesc = prometheus.NewDesc("loupe_flow_ring_capacity", "Capacity of the agent's flow ring.", nil, nil)
)

// Describe implements prometheus.Collector.
func (h *Health) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{eventsReadDesc, kernelLostDesc, flowsDesc, ringFillDesc, ringCapacityDesc} {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (h *Health) Collect(ch chan<- prometheus.Metric) {
	s := h.c.Stats()
	oldest, next := h.c.ring.Bounds()
	ch <- prometheus.MustNewConstMetric(eventsReadDesc, prometheus.CounterValue, float64(s.Seen+s.DecodeErrors))
	ch <- prometheus.MustNewConstMetric(kernelLostDesc, prometheus.CounterValue, float64(s.KernelLost), "kernel_ring_buffer")
	ch <- prometheus.MustNewConstMetric(kernelLostDesc, prometheus.CounterValue, float64(s.DecodeErrors), "decode_error")
	ch <- prometheus.MustNewConstMetric(flowsDesc, prometheus.CounterValue, float64(s.Seen))
	ch <- prometheus.MustNewConstMetric(ringFillDesc, prometheus.GaugeValue, float64(next-oldest))
	ch <- prometheus.MustNewConstMetric(ringCapacityDesc, prometheus.GaugeValue, float64(h.c.ring.Cap()))
}
