package main

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/loupe-dev/loupe/datapath/fqdn"
	"github.com/loupe-dev/loupe/datapath/proxy"
	dnsproxy "github.com/loupe-dev/loupe/datapath/proxy/dns"
)

// proxyMetrics reads the L7 proxy's, the DNS handler's and the name
// cache's counters on scrape.
type proxyMetrics struct {
	server *proxy.Server
	dns    *dnsproxy.Handler
	names  *fqdn.Cache

	conns, dnsQueries, dnsErrors, cacheSize, nameEvents *prometheus.Desc
}

func newProxyMetrics(s *proxy.Server, dns *dnsproxy.Handler, names *fqdn.Cache) *proxyMetrics {
	return &proxyMetrics{
		server: s, dns: dns, names: names,
		conns: prometheus.NewDesc("loupe_proxy_connections_total",
			"Connections and datagrams the L7 proxy took (accepted), refused over its bound (refused), or could not resolve to endpoints (unresolved).", []string{"outcome"}, nil),
		dnsQueries: prometheus.NewDesc("loupe_proxy_dns_queries_total",
			"DNS queries through the proxy: forwarded, denied (answered REFUSED), malformed.", []string{"outcome"}, nil),
		dnsErrors: prometheus.NewDesc("loupe_proxy_dns_errors_total",
			"DNS queries answered SERVFAIL: upstream (the server failed or timed out), learn (the name cache or policy failed), busy (over the in-flight bound).", []string{"reason"}, nil),
		cacheSize: prometheus.NewDesc("loupe_fqdn_cache_entries",
			"Names and addresses the DNS name cache holds.", []string{"kind"}, nil),
		nameEvents: prometheus.NewDesc("loupe_fqdn_cache_events_total",
			"Name cache events: name_overflow, ip_overflow, evicted, expired, policy_changes, policy_change_errors.", []string{"event"}, nil),
	}
}

func (m *proxyMetrics) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{m.conns, m.dnsQueries, m.dnsErrors, m.cacheSize, m.nameEvents} {
		ch <- d
	}
}

func (m *proxyMetrics) Collect(ch chan<- prometheus.Metric) {
	counter := func(d *prometheus.Desc, v uint64, label string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(v), label)
	}
	s := m.server.Stats()
	counter(m.conns, s.Accepted, "accepted")
	counter(m.conns, s.Refused, "refused")
	counter(m.conns, s.Unresolved, "unresolved")
	d := m.dns.Stats()
	counter(m.dnsQueries, d.Forwarded, "forwarded")
	counter(m.dnsQueries, d.Denied, "denied")
	counter(m.dnsQueries, d.Malformed, "malformed")
	counter(m.dnsErrors, d.UpstreamErrors, "upstream")
	counter(m.dnsErrors, d.LearnErrors, "learn")
	counter(m.dnsErrors, d.Busy, "busy")
	n := m.names.Stats()
	ch <- prometheus.MustNewConstMetric(m.cacheSize, prometheus.GaugeValue, float64(n.Names), "names")
	ch <- prometheus.MustNewConstMetric(m.cacheSize, prometheus.GaugeValue, float64(n.IPs), "ips")
	counter(m.nameEvents, n.NameOverflow, "name_overflow")
	counter(m.nameEvents, n.IPOverflow, "ip_overflow")
	counter(m.nameEvents, n.Evicted, "evicted")
	counter(m.nameEvents, n.Expired, "expired")
	counter(m.nameEvents, n.Changes, "policy_changes")
	counter(m.nameEvents, n.ChangeErrors, "policy_change_errors")
}
