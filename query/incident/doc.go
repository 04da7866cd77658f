// Package incident answers the questions asked during an incident over a
// time window: the service map, top talkers, drops, DNS errors and HTTP
// error rates and latency. Every query reads the per-minute rollups that
// query/schema's materialized views fill (edges_1m, drops_1m, l7_1m), never
// the flows table, so that a 24 h window reads minutes, not flows.
//
// Windows are whole minutes: a window [since, until) is widened to
// [since rounded down to the minute, until rounded up to the minute), and
// results carry the window that was read.
//
// A "service" is what the rollups group by: the workload name, or for peers
// that are not workloads (world, host, CIDRs) their labels joined with
// commas (schema.ServiceExpr).
//
// User input never reaches SQL as text: values are ? arguments bound by the
// driver, and the grouping dimension (by) is looked up in a fixed table of
// column expressions.
package incident
