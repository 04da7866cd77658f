// Package history answers flow requests from ClickHouse: the part of a
// GetFlows request that the live buffers no longer hold. It gives the
// answer the live ring would give over the same flows: the same filters
// (query/sqlfilter), the same window and the same last or first N, in time
// order with ties ordered by node name and id.
//
// The relay decides where history ends and the live buffers begin: it
// passes that time as until, which is exclusive, while the request's own
// until, when set, is inclusive as in the live ring. History applies both.
package history
