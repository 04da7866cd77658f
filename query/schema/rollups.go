package schema

import (
	"fmt"
	"strings"
)

// Rollups are per-minute aggregates that materialized views fill as flows
// are inserted, so that queries over long windows read minutes, not flows.
// In them a "service" is the workload, or for peers that are not workloads
// (world, host, CIDRs) their labels: ServiceExpr says how.

// ServiceExpr is the service of one side ("src" or "dst") of a flow row.
func ServiceExpr(side string) string {
	return fmt.Sprintf("if(%[1]s_workload != '', %[1]s_workload, arrayStringConcat(%[1]s_labels, ','))", side)
}

// Rollup is one per-minute table and the view that feeds it.
type Rollup struct {
	Table  string
	Engine string
	// Key columns (the ORDER BY) and value columns.
	Key, Values Columns
	// Select lists the view's expressions, in Key then Values order.
	Select []string
	Where  string
}

var (
	minuteCol   = Column{Name: "minute", Type: "DateTime('UTC')", Codec: "DoubleDelta, ZSTD(1)"}
	serviceCols = Columns{
		{Name: "src_namespace", Type: "String", LowCardinality: true},
		{Name: "src_service", Type: "String", LowCardinality: true},
		{Name: "dst_namespace", Type: "String", LowCardinality: true},
		{Name: "dst_service", Type: "String", LowCardinality: true},
	}
	serviceSelect = []string{"src_namespace", ServiceExpr("src"), "dst_namespace", ServiceExpr("dst")}
)

// EdgesRollup counts L3/L4 flows between services: the service map. Replies
// are left out so that an edge points from the side that opened the
// connection.
var EdgesRollup = Rollup{
	Table:  "edges_1m",
	Engine: "SummingMergeTree()",
	Key: append(append(Columns{minuteCol}, serviceCols...),
		Column{Name: "protocol", Type: protocolEnum},
		Column{Name: "dst_port", Type: "UInt16"},
		Column{Name: "verdict", Type: verdictEnum}),
	Values: Columns{
		{Name: "flows", Type: "UInt64"},
		{Name: "bytes_total", Type: "UInt64"},
		{Name: "packets_total", Type: "UInt64"},
	},
	Select: append(append([]string{"toStartOfMinute(time)"}, serviceSelect...),
		"protocol", "dst_port", "verdict", "count()", "sum(bytes)", "sum(packets)"),
	Where: "is_reply = 0 AND l7_protocol = 'NONE'",
}

// EdgesHourlyRollup is EdgesRollup per hour, so that a day's service map
// reads hours: its minute column holds the start of the hour, and its
// columns are EdgesRollup's, in the same order, so the two can be read as
// one (whole hours here, the partial hours at a window's ends from
// EdgesRollup).
var EdgesHourlyRollup = func() Rollup {
	r := EdgesRollup
	r.Table = "edges_1h"
	r.Select = append([]string{"toStartOfHour(time)"}, EdgesRollup.Select[1:]...)
	return r
}()

// DropsRollup counts dropped flows by reason, node, services and port.
var DropsRollup = Rollup{
	Table:  "drops_1m",
	Engine: "SummingMergeTree()",
	Key: append(append(Columns{minuteCol,
		{Name: "node_name", Type: "String", LowCardinality: true},
		{Name: "drop_reason", Type: dropReasonEnum},
		{Name: "traffic_direction", Type: directionEnum},
	}, serviceCols...),
		Column{Name: "protocol", Type: protocolEnum},
		Column{Name: "dst_port", Type: "UInt16"}),
	Values: Columns{{Name: "flows", Type: "UInt64"}},
	Select: append(append([]string{"toStartOfMinute(time)", "node_name", "drop_reason", "traffic_direction"}, serviceSelect...),
		"protocol", "dst_port", "count()"),
	Where: "verdict = 'DROPPED'",
}

// latencyQuantiles are the percentiles kept per minute for L7 latency.
const latencyQuantiles = "0.5, 0.95, 0.99"

// L7Rollup counts L7 requests and responses and keeps their latency
// distribution: HTTP error rates and percentiles per service, DNS errors
// per name, Kafka errors per topic.
var L7Rollup = Rollup{
	Table:  "l7_1m",
	Engine: "AggregatingMergeTree()",
	Key: append(append(Columns{minuteCol,
		{Name: "l7_protocol", Type: l7ProtocolEnum},
		{Name: "l7_type", Type: l7TypeEnum},
		{Name: "verdict", Type: verdictEnum},
	}, serviceCols...),
		Column{Name: "http_method", Type: "String", LowCardinality: true},
		Column{Name: "http_code", Type: "UInt16"},
		Column{Name: "dns_query", Type: "String", LowCardinality: true},
		Column{Name: "dns_rcode", Type: "UInt16"},
		Column{Name: "kafka_topic", Type: "String", LowCardinality: true},
		Column{Name: "kafka_error_code", Type: "Int16"}),
	Values: Columns{
		{Name: "flows", Type: "AggregateFunction(count)"},
		{Name: "latency", Type: "AggregateFunction(quantilesTDigest(" + latencyQuantiles + "), UInt64)"},
	},
	Select: append(append([]string{"toStartOfMinute(time)", "l7_protocol", "l7_type", "verdict"}, serviceSelect...),
		"http_method", "http_code", "dns_query", "dns_rcode", "kafka_topic", "kafka_error_code",
		"countState()", "quantilesTDigestState("+latencyQuantiles+")(l7_latency_ns)"),
	Where: "l7_protocol != 'NONE'",
}

// Rollups lists every rollup.
var Rollups = []Rollup{EdgesRollup, DropsRollup, L7Rollup, EdgesHourlyRollup}

// View is the name of the materialized view that feeds the rollup.
func (r Rollup) View() string { return r.Table + "_mv" }

// CreateTable is the rollup table's DDL.
func (r Rollup) CreateTable(f Features, o Options) string {
	cols := append(append(Columns{}, r.Key...), r.Values...)
	order := "(" + strings.Join(r.Key.Names(), ", ") + ")"
	return createTable(f, o, r.Table, cols, r.Engine, order, "minute")
}

// CreateView is the materialized view's DDL: it runs on every insert into
// flows and writes the block's aggregate into the rollup table.
func (r Rollup) CreateView() string {
	cols := append(append(Columns{}, r.Key...), r.Values...)
	exprs := make([]string, len(r.Select))
	for i, e := range r.Select {
		exprs[i] = e + " AS " + cols[i].Name
	}
	return fmt.Sprintf("CREATE MATERIALIZED VIEW IF NOT EXISTS %s TO %s AS\nSELECT %s\nFROM %s\nWHERE %s\nGROUP BY %s",
		r.View(), r.Table, strings.Join(exprs, ", "), FlowsTable, r.Where, strings.Join(r.Key.Names(), ", "))
}
