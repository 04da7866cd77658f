package metrics

import (
	"fmt"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Config sets up the flow metrics.
type Config struct {
	Specs []Spec
	// SeriesCap bounds the series of each family.
	SeriesCap int
	// Ports are tracked by port-distribution besides those below 1024.
	Ports []uint16
	// Live lists the node's endpoints for expiry; nil disables expiry.
	Live func() Live
	// Expiry is how long an endpoint is gone before its series go.
	Expiry time.Duration
	// SweepInterval is how often series are checked for expiry.
	SweepInterval time.Duration
}

// DefaultConfig is the agent's default: every family, no contexts.
func DefaultConfig() Config {
	specs, _ := ParseSpecs(DefaultSpecs)
	return Config{Specs: specs, SeriesCap: 1000, Expiry: 5 * time.Minute, SweepInterval: time.Minute}
}

// Metrics feeds the enabled families from flows. Observe is called by the
// collector's single reader; the sweep runs beside it.
type Metrics struct {
	cfg      Config
	families map[string]*family
	// The families the per-flow path reaches, nil when disabled.
	flows, drops, policy, tcp, icmp, ports *family
	httpRequests, httpDuration, dnsQueries *family
	dnsResponses, dnsAnswers, kafka        *family
	trackedPorts                           [1 << 16 / 64]uint64

	// mu is taken once per flow by Observe, and by Sweep.
	mu sync.Mutex

	stop chan struct{}
	wg   sync.WaitGroup
}

// New registers the enabled families on reg. It starts nothing.
func New(cfg Config, reg prometheus.Registerer) (*Metrics, error) {
	if cfg.SeriesCap <= 0 {
		return nil, fmt.Errorf("series cap %d: want a positive number", cfg.SeriesCap)
	}
	if cfg.Expiry <= 0 {
		cfg.Expiry = 5 * time.Minute
	}
	if cfg.SweepInterval <= 0 {
		cfg.SweepInterval = time.Minute
	}
	m := &Metrics{cfg: cfg, families: map[string]*family{}}
	for p := range 1024 {
		m.trackedPorts[p/64] |= 1 << (p % 64)
	}
	for _, p := range cfg.Ports {
		m.trackedPorts[p/64] |= 1 << (p % 64)
	}
	folded := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "loupe_metrics_series_folded_total",
		Help: "Observations counted in a metric's \"other\" series because the metric had reached its series cap.",
	}, []string{"metric"})
	if err := reg.Register(folded); err != nil {
		return nil, fmt.Errorf("register series folded: %w", err)
	}
	for _, spec := range cfg.Specs {
		for _, d := range definitions[spec.Name] {
			f, err := d.build(spec, cfg.SeriesCap, folded, reg)
			if err != nil {
				return nil, err
			}
			m.families[d.name] = f
		}
	}
	m.flows, m.drops, m.policy = m.families["loupe_flows_processed_total"], m.families["loupe_drop_total"], m.families["loupe_policy_verdicts_total"]
	m.tcp, m.icmp, m.ports = m.families["loupe_tcp_flags_total"], m.families["loupe_icmp_total"], m.families["loupe_port_distribution_total"]
	m.httpRequests, m.httpDuration = m.families["loupe_http_requests_total"], m.families["loupe_http_request_duration_seconds"]
	m.dnsQueries, m.dnsResponses = m.families["loupe_dns_queries_total"], m.families["loupe_dns_responses_total"]
	m.dnsAnswers = m.families["loupe_dns_response_types_total"]
	m.kafka = m.families["loupe_kafka_requests_total"]
	return m, nil
}

// Start runs the expiry sweep when Config.Live is set.
func (m *Metrics) Start() {
	if m.cfg.Live == nil {
		return
	}
	m.stop = make(chan struct{})
	m.wg.Add(1)
	go func() {
		defer m.wg.Done()
		t := time.NewTicker(m.cfg.SweepInterval)
		defer t.Stop()
		for {
			select {
			case <-m.stop:
				return
			case now := <-t.C:
				m.Sweep(now, m.cfg.Live())
			}
		}
	}()
}

// Stop ends the sweep and waits for it.
func (m *Metrics) Stop() {
	if m.stop != nil {
		close(m.stop)
		m.wg.Wait()
		m.stop = nil
	}
}

// Sweep deletes the series of endpoints gone for longer than Config.Expiry.
func (m *Metrics) Sweep(now time.Time, live Live) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, f := range m.families {
		f.sweep(now, live, m.cfg.Expiry)
	}
}
