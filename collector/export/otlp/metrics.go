package otlp

import (
	"sync"

	"github.com/prometheus/client_golang/prometheus"
)

// StatsSource is anything with per-signal queue counters: an Exporter, a
// SelfTracer.
type StatsSource interface {
	Stats() map[string]QueueStats
}

var (
	exportedDesc = prometheus.NewDesc("loupe_otlp_exported_total",
		"Items sent to the OTLP endpoint, by signal (flow_spans, flow_logs, self_spans).", []string{"signal"}, nil)
	droppedDesc = prometheus.NewDesc("loupe_otlp_dropped_total",
		"Items not sent: queue_full (the queue was full when offered), export_failed (the endpoint refused or was unreachable).", []string{"signal", "reason"}, nil)
	depthDesc = prometheus.NewDesc("loupe_otlp_queue_depth",
		"Items waiting in a signal's queue.", []string{"signal"}, nil)
	capacityDesc = prometheus.NewDesc("loupe_otlp_queue_capacity",
		"Capacity of a signal's queue.", []string{"signal"}, nil)
)

// Metrics exposes the sources' counters on scrape: one collector per
// registry, to which sources are added as they start.
type Metrics struct {
	mu      sync.Mutex
	sources []StatsSource
}

// NewMetrics makes the collector of the given sources.
func NewMetrics(sources ...StatsSource) *Metrics { return &Metrics{sources: sources} }

// Add adds a source.
func (m *Metrics) Add(s StatsSource) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.sources = append(m.sources, s)
}

func (m *Metrics) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{exportedDesc, droppedDesc, depthDesc, capacityDesc} {
		ch <- d
	}
}

func (m *Metrics) Collect(ch chan<- prometheus.Metric) {
	m.mu.Lock()
	sources := append([]StatsSource(nil), m.sources...)
	m.mu.Unlock()
	for _, src := range sources {
		if src == nil {
			continue
		}
		for signal, s := range src.Stats() {
			ch <- prometheus.MustNewConstMetric(exportedDesc, prometheus.CounterValue, float64(s.Exported), signal)
			ch <- prometheus.MustNewConstMetric(droppedDesc, prometheus.CounterValue, float64(s.DroppedFull), signal, "queue_full")
			ch <- prometheus.MustNewConstMetric(droppedDesc, prometheus.CounterValue, float64(s.Failed), signal, "export_failed")
			ch <- prometheus.MustNewConstMetric(depthDesc, prometheus.GaugeValue, float64(s.Depth), signal)
			ch <- prometheus.MustNewConstMetric(capacityDesc, prometheus.GaugeValue, float64(s.Capacity), signal)
		}
	}
}
