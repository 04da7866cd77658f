// Package schema defines loupe's ClickHouse tables once: the flows table,
// the per-minute rollups fed by materialized views, and the migrations that
// create and upgrade them. One definition renders for two server
// generations: the 18.16 that Debian ships (no DateTime64, codecs, TTL or
// plain LowCardinality) and current releases, where the modern types,
// codecs and TTL are used.
package schema
