package main

import (
	"net"
	"time"

	"github.com/cilium/ebpf"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/loupe-dev/loupe/api/flow"
	"github.com/loupe-dev/loupe/collector/metrics"
	"github.com/loupe-dev/loupe/datapath/endpoint"
	"github.com/loupe-dev/loupe/datapath/enforce"
	"github.com/loupe-dev/loupe/datapath/identity"
	"github.com/loupe-dev/loupe/datapath/loader"
	"github.com/loupe-dev/loupe/datapath/maps"
)

// mapCountInterval bounds how often map entries are walked for
// loupe_bpf_map_entries.
const mapCountInterval = 30 * time.Second

// flowMetricsConfig reads --metrics, --metrics-series-cap and
// --metrics-ports, and checks --metrics-listen before anything is loaded.
func (o agentOptions) flowMetricsConfig() (metrics.Config, error) {
	cfg := metrics.DefaultConfig()
	specs, err := metrics.ParseSpecs(o.metrics)
	if err != nil {
		return cfg, badInput("--metrics: %v", err)
	}
	if o.metricsSeriesCap <= 0 {
		return cfg, badInput("--metrics-series-cap %d: want a positive number", o.metricsSeriesCap)
	}
	if o.metricsListen != "" {
		if _, err := net.ResolveTCPAddr("tcp", o.metricsListen); err != nil {
			return cfg, badInput("--metrics-listen %s: %v", o.metricsListen, err)
		}
	}
	cfg.Specs, cfg.SeriesCap, cfg.Ports = specs, o.metricsSeriesCap, o.metricsPorts
	return cfg, nil
}

// liveEndpoints is what series expiry compares against.
func liveEndpoints(mgr *endpoint.Manager, ids *identity.Allocator) func() metrics.Live {
	return func() metrics.Live {
		var eps []*flow.Endpoint
		for _, ep := range mgr.List() {
			eps = append(eps, &flow.Endpoint{Namespace: ep.Namespace, Workload: ep.Workload, Identity: ep.Identity, Labels: []string{"app=" + ep.Labels["app"]}})
		}
		var known []uint32
		for _, id := range ids.List() {
			known = append(known, id.ID)
		}
		return metrics.NewLive(eps, known)
	}
}

// datapathGauges are the node's state read on scrape.
func datapathGauges(reg prometheus.Registerer, objs *loader.LoupeObjects, mgr *endpoint.Manager, ids *identity.Allocator, enf *enforce.Enforcer) {
	reg.MustRegister(
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "loupe_endpoints", Help: "Endpoints managed by the agent."},
			func() float64 { return float64(len(mgr.List())) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "loupe_identities", Help: "Identities the agent knows, reserved ones included."},
			func() float64 { return float64(len(ids.List())) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "loupe_policy_revision", Help: "Installed policy revision."},
			func() float64 { return float64(enf.Revision()) }),
		maps.NewUsage(map[string]*ebpf.Map{
			"conntrack": objs.Conntrack, "drop_table": objs.DropTable, "endpoints": objs.Endpoints,
			"flow_table": objs.FlowTable, "ipcache": objs.Ipcache, "policy": objs.Policy,
			"policy_endpoints": objs.PolicyEndpoints, "policy_slot": objs.PolicySlot,
		}, mapCountInterval),
	)
}

// newApplyLatency is the policy apply latency histogram, fed by the
// enforcer on every installed revision.
func newApplyLatency(reg prometheus.Registerer) func(time.Duration) {
	return durationHistogram(reg, prometheus.HistogramOpts{
		Name:    "loupe_policy_apply_duration_seconds",
		Help:    "Time to resolve and install a policy revision.",
		Buckets: prometheus.ExponentialBuckets(0.0005, 2, 14),
	})
}

// durationHistogram registers a histogram of seconds and returns what
// feeds it.
func durationHistogram(reg prometheus.Registerer, opts prometheus.HistogramOpts) func(time.Duration) {
	h := prometheus.NewHistogram(opts)
	reg.MustRegister(h)
	return func(d time.Duration) { h.Observe(d.Seconds()) }
}
