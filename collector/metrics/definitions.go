package metrics

import (
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
)

// definition describes one metric of a family.
type definition struct {
	name, help string
	labels     []string
	render     labeler
	buckets    []float64 // a histogram when set
}

// definitions maps each --metrics name to its metrics.
var definitions = map[string][]definition{
	"flow": {{
		name: "loupe_flows_processed_total", help: "Flows processed, by event type, subtype and verdict.",
		labels: []string{"type", "subtype", "verdict"},
		render: func(k key) []string { return []string{eventTypeName(k.n1), subtypeName(k.n2), verdictName(k.n3)} },
	}},
	"drop": {{
		name: "loupe_drop_total", help: "Dropped packets' flows, by drop reason and protocol.",
		labels: []string{"reason", "protocol"},
		render: func(k key) []string { return []string{dropReasonName(k.n1), protoName(k.n2)} },
	}},
	"policy": {{
		name: "loupe_policy_verdicts_total", help: "Policy verdicts, by traffic direction, match type and action.",
		labels: []string{"direction", "match", "action"},
		render: func(k key) []string { return []string{directionName(k.n1), matchName(k.n2), kebab(verdictName(k.n3))} },
	}},
	"tcp": {{
		name: "loupe_tcp_flags_total", help: "TCP flows by flag combination and IP family.",
		labels: []string{"flag", "family"},
		render: func(k key) []string { return []string{flagName(k.n1), familyName(k.n2)} },
	}},
	"icmp": {{
		name: "loupe_icmp_total", help: "ICMP flows by IP family and message type.",
		labels: []string{"family", "type"},
		render: func(k key) []string { return []string{familyName(k.n1), icmpTypeName(k.n1, k.n2)} },
	}},
	"port-distribution": {{
		name: "loupe_port_distribution_total", help: "Flows by protocol and destination port; untracked ports count as \"other\".",
		labels: []string{"protocol", "port"},
		render: func(k key) []string { return []string{protoName(k.n1), portName(k.n2)} },
	}},
	"http": {{
		name: "loupe_http_requests_total", help: "HTTP requests, counted on their responses, by method, protocol and status.",
		labels: []string{"method", "protocol", "status"},
		render: func(k key) []string { return []string{k.s1, k.s2, number(k.n1)} },
	}, {
		name: "loupe_http_request_duration_seconds", help: "HTTP request duration, with trace ids as exemplars.",
		labels:  []string{"method"},
		render:  func(k key) []string { return []string{k.s1} },
		buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
	}},
	"dns": {{
		name: "loupe_dns_queries_total", help: "DNS queries by query types.",
		labels: []string{"qtypes"},
		render: func(k key) []string { return []string{k.s1} },
	}, {
		name: "loupe_dns_responses_total", help: "DNS responses by return code and query types.",
		labels: []string{"rcode", "qtypes"},
		render: func(k key) []string { return []string{rcodeName(k.n1), k.s1} },
	}, {
		name: "loupe_dns_response_types_total", help: "DNS answer records in responses, by record type and query types.",
		labels: []string{"type", "qtypes"},
		render: func(k key) []string { return []string{k.s2, k.s1} },
	}},
	"kafka": {{
		name: "loupe_kafka_requests_total", help: "Kafka requests, counted on their responses, by topic, API key and error code.",
		labels: []string{"topic", "api_key", "error_code"},
		render: func(k key) []string { return []string{k.s1, k.s2, signed(k.n1)} },
	}},
}

// build registers the metric of d with spec's contexts.
func (d definition) build(spec Spec, cap int, folded *prometheus.CounterVec, reg prometheus.Registerer) (*family, error) {
	labels := append([]string(nil), d.labels...)
	if spec.Source != ContextNone {
		labels = append(labels, "source")
	}
	if spec.Destination != ContextNone {
		labels = append(labels, "destination")
	}
	f := &family{name: d.name, spec: spec, cap: cap, labels: d.render, nlabels: len(labels),
		folded: folded.WithLabelValues(d.name), series: map[key]*series{}}
	var c prometheus.Collector
	if d.buckets != nil {
		f.hists = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: d.name, Help: d.help, Buckets: d.buckets}, labels)
		c = f.hists
	} else {
		f.counters = prometheus.NewCounterVec(prometheus.CounterOpts{Name: d.name, Help: d.help}, labels)
		c = f.counters
	}
	if err := reg.Register(c); err != nil {
		return nil, fmt.Errorf("register %s: %w", d.name, err)
	}
	return f, nil
}

var rcodes = [...]string{"NoError", "FormErr", "ServFail", "NXDomain", "NotImp", "Refused"}

func rcodeName(n uint32) string {
	if int(n) < len(rcodes) {
		return rcodes[n]
	}
	return number(n)
}
