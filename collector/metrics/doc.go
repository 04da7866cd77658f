// Package metrics turns flows into Prometheus metrics in the style of
// Hubble: one family per concern (flows, drops, policy verdicts, TCP flags,
// ICMP, ports, DNS, HTTP, Kafka), each with optional source and destination
// label contexts.
//
// Cardinality is bounded by design. Every family keeps at most SeriesCap
// series; an observation that would create one more is counted in a single
// series whose labels are all "other", and in
// loupe_metrics_series_folded_total{metric}. Series whose context names an
// endpoint that has left the node are deleted once it has been gone for
// Expiry.
//
// The per-flow path builds no strings: a series is found by a key of small
// integers and of strings the flow already holds; label values are rendered
// only when a series is created.
package metrics
