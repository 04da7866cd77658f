package schema

import (
	"fmt"
	"strings"
)

// FlowsTable holds every flow the relay receives, one row per flow.
const FlowsTable = "flows"

// FlowColumns are the flows table's columns: every field of the flow
// record, flattened. Source and destination columns share a prefix (src_,
// dst_) so that filters on either side are the same code.
var FlowColumns = Columns{
	// time is the flow's time: DateTime64(9) on modern servers; on 18.16
	// the second, with the nanoseconds in time_ns.
	{Name: "time", Type: "DateTime('UTC')", Modern: "DateTime64(9, 'UTC')", Codec: "DoubleDelta, ZSTD(1)"},
	// time_ns is the time in ns since the epoch on every server: stored on
	// 18.16, computed from time on modern servers. Exact time filters and
	// ordering use it.
	{Name: "time_ns", Type: "UInt64", ModernAlias: "toUnixTimestamp64Nano(time)", Codec: "DoubleDelta, ZSTD(1)"},
	// id is unique per node: 24 random bits per agent run, then a sequence.
	{Name: "id", Type: "UInt64", Codec: "T64, ZSTD(1)"},
	{Name: "node_name", Type: "String", LowCardinality: true},
	{Name: "verdict", Type: verdictEnum},
	{Name: "drop_reason", Type: dropReasonEnum},
	{Name: "event_type", Type: eventTypeEnum},
	{Name: "observation_point", Type: observationPointEnum},
	{Name: "trace_reason", Type: traceReasonEnum},
	{Name: "traffic_direction", Type: directionEnum},
	{Name: "is_reply", Type: "UInt8"},
	{Name: "policy_match_type", Type: matchTypeEnum},
	{Name: "policy_names", Type: "Array(String)", LowCardinality: true},

	{Name: "ip_version", Type: ipVersionEnum},
	// Addresses are 16 bytes, IPv4 stored IPv4-mapped (::ffff:a.b.c.d), so
	// that a CIDR is one byte range on either family.
	{Name: "src_ip", Type: "FixedString(16)", Codec: "ZSTD(1)"},
	{Name: "dst_ip", Type: "FixedString(16)", Codec: "ZSTD(1)"},
	{Name: "protocol", Type: protocolEnum},
	{Name: "src_port", Type: "UInt16", Codec: "ZSTD(1)"},
	{Name: "dst_port", Type: "UInt16", Codec: "ZSTD(1)"},
	// tcp_flags is a bit set: FIN 1, SYN 2, RST 4, PSH 8, ACK 16, URG 32,
	// ECE 64, CWR 128.
	{Name: "tcp_flags", Type: "UInt8"},
	{Name: "icmp_type", Type: "UInt8"},
	{Name: "icmp_code", Type: "UInt8"},

	{Name: "src_endpoint", Type: "UInt32"},
	{Name: "src_identity", Type: "UInt32", Codec: "T64, ZSTD(1)"},
	{Name: "src_namespace", Type: "String", LowCardinality: true},
	{Name: "src_workload", Type: "String", LowCardinality: true},
	{Name: "src_labels", Type: "Array(String)", LowCardinality: true},
	{Name: "src_names", Type: "Array(String)", LowCardinality: true},
	{Name: "dst_endpoint", Type: "UInt32"},
	{Name: "dst_identity", Type: "UInt32", Codec: "T64, ZSTD(1)"},
	{Name: "dst_namespace", Type: "String", LowCardinality: true},
	{Name: "dst_workload", Type: "String", LowCardinality: true},
	{Name: "dst_labels", Type: "Array(String)", LowCardinality: true},
	{Name: "dst_names", Type: "Array(String)", LowCardinality: true},

	{Name: "packets", Type: "UInt64", Codec: "T64, ZSTD(1)"},
	{Name: "bytes", Type: "UInt64", Codec: "T64, ZSTD(1)"},
	{Name: "interface_index", Type: "UInt32"},
	{Name: "interface_name", Type: "String", LowCardinality: true},

	{Name: "l7_type", Type: l7TypeEnum},
	{Name: "l7_protocol", Type: l7ProtocolEnum},
	{Name: "l7_latency_ns", Type: "UInt64", Codec: "T64, ZSTD(1)"},
	{Name: "http_code", Type: "UInt16"},
	{Name: "http_method", Type: "String", LowCardinality: true},
	{Name: "http_url", Type: "String", Codec: "ZSTD(1)"},
	{Name: "http_protocol", Type: "String", LowCardinality: true},
	{Name: "http_header_names", Type: "Array(String)", LowCardinality: true},
	{Name: "http_header_values", Type: "Array(String)", Codec: "ZSTD(1)"},
	{Name: "dns_query", Type: "String", LowCardinality: true},
	{Name: "dns_ips", Type: "Array(String)", Codec: "ZSTD(1)"},
	{Name: "dns_ttl", Type: "UInt32"},
	{Name: "dns_cnames", Type: "Array(String)", LowCardinality: true},
	{Name: "dns_rcode", Type: "UInt16"},
	{Name: "dns_qtypes", Type: "Array(String)", LowCardinality: true},
	{Name: "dns_rrtypes", Type: "Array(String)", LowCardinality: true},
	{Name: "kafka_api_key", Type: "String", LowCardinality: true},
	{Name: "kafka_api_version", Type: "Int16"},
	{Name: "kafka_error_code", Type: "Int16"},
	{Name: "kafka_correlation_id", Type: "Int32"},
	{Name: "kafka_topic", Type: "String", LowCardinality: true},

	{Name: "trace_id", Type: "String", Codec: "ZSTD(1)"},
	{Name: "parent_span_id", Type: "String", Codec: "ZSTD(1)"},
	{Name: "span_id", Type: "String", Codec: "ZSTD(1)", Since: 6},
}

// Options are the deployment's choices that shape the tables.
type Options struct {
	// RetentionDays expires flows and rollups after this many days (TTL on
	// servers that have it; the sink drops old partitions on 18.16). Zero
	// keeps everything.
	RetentionDays int
}

// flowsOrder sorts rows for incident queries: a time bucket first (time
// windows prune), then the verdict (drops are few: a query for them reads
// their granules only), then the workloads people filter on, then the exact
// time (time on modern servers, time_ns on 18.16, where time holds seconds).
const flowsOrder = "(toStartOfFifteenMinutes(time), verdict, dst_namespace, dst_workload, src_namespace, src_workload, %s)"

// createTable renders CREATE TABLE for a MergeTree-family table partitioned
// by day.
func createTable(f Features, o Options, name string, cols Columns, engine, order, timeCol string) string {
	defs := make([]string, 0, len(cols))
	for _, c := range cols {
		if c.Since == 0 {
			defs = append(defs, "    "+c.DDL(f))
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "CREATE TABLE IF NOT EXISTS %s (\n%s\n) ENGINE = %s\nPARTITION BY toYYYYMMDD(%s)\nORDER BY %s",
		name, strings.Join(defs, ",\n"), engine, timeCol, order)
	if f.TTL && o.RetentionDays > 0 {
		fmt.Fprintf(&b, "\nTTL toDateTime(%s) + INTERVAL %d DAY", timeCol, o.RetentionDays)
	}
	b.WriteString("\nSETTINGS index_granularity = 8192")
	return b.String()
}

// CreateFlows is the flows table's DDL.
func CreateFlows(f Features, o Options) string {
	order := fmt.Sprintf(flowsOrder, "time")
	if !f.DateTime64 {
		order = fmt.Sprintf(flowsOrder, "time_ns")
	}
	return createTable(f, o, FlowsTable, FlowColumns, "MergeTree()", order, "time")
}
