package file

import "github.com/prometheus/client_golang/prometheus"

var (
	writtenDesc = prometheus.NewDesc("loupe_export_flows_written_total",
		"Flows (and lost-event lines) written to a flow log file, by flow log name.", []string{"name"}, nil)
	errorsDesc = prometheus.NewDesc("loupe_export_write_errors_total",
		"Lines a flow log failed to write (disk full, file removed under it), by flow log name.", []string{"name"}, nil)
	droppedDesc = prometheus.NewDesc("loupe_export_dropped_total",
		"Flows dropped because the export queue was full; each file gets a lost_events line with the count.", nil, nil)
	depthDesc    = prometheus.NewDesc("loupe_export_queue_depth", "Flows waiting in the export queue.", nil, nil)
	capacityDesc = prometheus.NewDesc("loupe_export_queue_capacity", "Capacity of the export queue.", nil, nil)
	reloadsDesc  = prometheus.NewDesc("loupe_export_config_reloads_total",
		"Reloads of the export configuration file, by outcome (applied, refused).", []string{"outcome"}, nil)
	lastOKDesc = prometheus.NewDesc("loupe_export_config_last_reload_successful",
		"1 when the last reload of the export configuration was applied, 0 when it was refused (the previous one runs).", nil, nil)
)

// Metrics exposes an exporter's counters, and its watcher's when there is
// one, on scrape.
type Metrics struct {
	Exporter *Exporter
	Watcher  *Watcher
}

func (m Metrics) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{writtenDesc, errorsDesc, droppedDesc, depthDesc, capacityDesc, reloadsDesc, lastOKDesc} {
		ch <- d
	}
}

func (m Metrics) Collect(ch chan<- prometheus.Metric) {
	e := m.Exporter
	for name, s := range e.Stats() {
		ch <- prometheus.MustNewConstMetric(writtenDesc, prometheus.CounterValue, float64(s.Written), name)
		ch <- prometheus.MustNewConstMetric(errorsDesc, prometheus.CounterValue, float64(s.Errors), name)
	}
	ch <- prometheus.MustNewConstMetric(droppedDesc, prometheus.CounterValue, float64(e.Dropped()))
	ch <- prometheus.MustNewConstMetric(depthDesc, prometheus.GaugeValue, float64(e.QueueDepth()))
	ch <- prometheus.MustNewConstMetric(capacityDesc, prometheus.GaugeValue, float64(e.QueueCapacity()))
	if m.Watcher == nil {
		return
	}
	reloads, failures, ok := m.Watcher.ReloadStats()
	ch <- prometheus.MustNewConstMetric(reloadsDesc, prometheus.CounterValue, float64(reloads-failures), "applied")
	ch <- prometheus.MustNewConstMetric(reloadsDesc, prometheus.CounterValue, float64(failures), "refused")
	v := 0.0
	if ok {
		v = 1
	}
	ch <- prometheus.MustNewConstMetric(lastOKDesc, prometheus.GaugeValue, v)
}
