package dashboards

import (
	"fmt"
	"strings"
)

// The history dashboard runs on Debian's ClickHouse 18.16 as on current
// releases, so its SQL keeps to what 18.16 has: no toStartOfInterval
// (the plugin's $__timeInterval), no WITH FILL. Rollups are per minute,
// so buckets are never finer than a minute.
const bucket = "toDateTime(intDiv(toUInt32(minute), greatest($__interval_s, 60)) * greatest($__interval_s, 60))"

// sideFilter matches rows whose source or destination is in the selected
// namespaces and workloads; $__conditionalAll makes a side's condition
// 1=1 when its variable is All. ns and name are the column name suffixes
// ("namespace" and "service" in rollups, "workload" in flows).
func sideFilter(name string) string {
	side := func(s string) string {
		return fmt.Sprintf("($__conditionalAll(%[1]s_namespace IN (${namespace:singlequote}), $namespace) AND $__conditionalAll(%[1]s_%[2]s IN (${workload:singlequote}), $workload))", s, name)
	}
	return "(" + side("src") + " OR " + side("dst") + ")"
}

// sql joins lines, so the JSON reads as the query would be typed.
func sql(lines ...string) string { return strings.Join(lines, "\n") }

// History: incidents from ClickHouse, at any distance in time.
func History() Dashboard {
	svc := sideFilter("service")
	b := newBoard("loupe-history", "loupe / Incident history (ClickHouse)",
		"Flows stored by the relay in ClickHouse: service map, top talkers, drops, denied flows, DNS and HTTP errors and latency, for any time range the store still holds.",
		ClickHouseType,
		queryVar("namespace", "Namespace", sql(
			"SELECT DISTINCT src_namespace FROM edges_1m WHERE $__timeFilter(minute) AND src_namespace != ''",
			"UNION ALL",
			"SELECT DISTINCT dst_namespace FROM edges_1m WHERE $__timeFilter(minute) AND dst_namespace != ''"),
			"", "", "Namespaces on either side of a flow in the time range."),
		queryVar("workload", "Workload", sql(
			"SELECT DISTINCT src_service FROM edges_1m WHERE $__timeFilter(minute) AND src_namespace != '' AND $__conditionalAll(src_namespace IN (${namespace:singlequote}), $namespace)",
			"UNION ALL",
			"SELECT DISTINCT dst_service FROM edges_1m WHERE $__timeFilter(minute) AND dst_namespace != '' AND $__conditionalAll(dst_namespace IN (${namespace:singlequote}), $namespace)"),
			"", "", "Workloads of the selected namespaces."))

	b.stacked("Flows by verdict", "Connections opened (replies left out), per minute rollup.", "short",
		sqlSeries(sql(
			"SELECT "+bucket+" AS time, toString(verdict) AS verdict, sum(flows) AS flows",
			"FROM edges_1m",
			"WHERE $__timeFilter(minute) AND "+svc,
			"GROUP BY time, verdict",
			"ORDER BY time")))
	b.stacked("Drops by reason", "", "short",
		sqlSeries(sql(
			"SELECT "+bucket+" AS time, toString(drop_reason) AS reason, sum(flows) AS drops",
			"FROM drops_1m",
			"WHERE $__timeFilter(minute) AND "+svc,
			"GROUP BY time, reason",
			"ORDER BY time")))
	b.table("Service map edges", "Every edge between services in the time range: who opened connections to whom, on which port, and what happened to them.", 24,
		sqlTable(sql(
			"SELECT concat(src_namespace, '/', src_service) AS source, concat(dst_namespace, '/', dst_service) AS destination,",
			"  toString(protocol) AS proto, dst_port AS port, sum(flows) AS connections, sum(bytes_total) AS bytes, sum(packets_total) AS packets,",
			"  sumIf(flows, verdict = 'FORWARDED') AS forwarded, sumIf(flows, verdict = 'DROPPED') AS dropped, sumIf(flows, verdict = 'AUDIT') AS audit",
			"FROM edges_1m",
			"WHERE $__timeFilter(minute) AND "+svc,
			"GROUP BY source, destination, proto, port",
			"ORDER BY connections DESC",
			"LIMIT 500")))
	b.table("Top talkers", "Source services by bytes sent (replies excluded).", 12,
		sqlTable(sql(
			"SELECT concat(src_namespace, '/', src_service) AS talker, sum(bytes_total) AS bytes, sum(packets_total) AS packets, sum(flows) AS connections",
			"FROM edges_1m",
			"WHERE $__timeFilter(minute) AND "+svc,
			"GROUP BY talker",
			"ORDER BY bytes DESC",
			"LIMIT 10")))
	b.table("Drops by destination", "Where drops land, by reason and port.", 12,
		sqlTable(sql(
			"SELECT concat(dst_namespace, '/', dst_service) AS destination, toString(drop_reason) AS reason, toString(protocol) AS proto, dst_port AS port,",
			"  groupUniqArray(concat(src_namespace, '/', src_service)) AS sources, sum(flows) AS drops",
			"FROM drops_1m",
			"WHERE $__timeFilter(minute) AND "+svc,
			"GROUP BY destination, reason, proto, port",
			"ORDER BY drops DESC",
			"LIMIT 100")))
	b.table("Recent denied flows", "The last 100 dropped flows, newest first, with the policies that denied them.", 24,
		sqlTable(sql(
			"SELECT time, node_name AS node, concat(src_namespace, '/', src_workload) AS source, concat(dst_namespace, '/', dst_workload) AS destination,",
			"  toString(protocol) AS proto, dst_port AS port, toString(traffic_direction) AS direction, toString(drop_reason) AS reason,",
			"  arrayStringConcat(policy_names, ', ') AS policies",
			"FROM flows",
			"WHERE $__timeFilter(time) AND verdict = 'DROPPED' AND "+sideFilter("workload"),
			"ORDER BY time_ns DESC",
			"LIMIT 100")))

	const rcodeName = "multiIf(dns_rcode = 1, 'FormErr', dns_rcode = 2, 'ServFail', dns_rcode = 3, 'NXDomain', dns_rcode = 4, 'NotImp', dns_rcode = 5, 'Refused', toString(dns_rcode))"
	b.table("DNS errors", "Names that did not resolve, by return code and client (L7 DNS visibility). A response goes from the server to the client, so the client is its destination.", 12,
		sqlTable(sql(
			"SELECT dns_query AS query, "+rcodeName+" AS rcode, concat(dst_namespace, '/', dst_service) AS client, countMerge(flows) AS responses",
			"FROM l7_1m",
			"WHERE $__timeFilter(minute) AND l7_protocol = 'DNS' AND l7_type = 'RESPONSE' AND dns_rcode != 0 AND "+svc,
			"GROUP BY query, rcode, client",
			"ORDER BY responses DESC",
			"LIMIT 100")))
	b.table("HTTP errors by service", "Responses, and the 4xx and 5xx share, of each service (the source of a response).", 12,
		sqlTable(sql(
			"SELECT concat(src_namespace, '/', src_service) AS service, countMerge(flows) AS responses,",
			"  countMergeIf(flows, http_code >= 400 AND http_code < 500) / responses AS share_4xx,",
			"  countMergeIf(flows, http_code >= 500) / responses AS share_5xx",
			"FROM l7_1m",
			"WHERE $__timeFilter(minute) AND l7_protocol = 'HTTP' AND l7_type = 'RESPONSE' AND "+svc,
			"GROUP BY service",
			"ORDER BY share_5xx DESC, responses DESC",
			"LIMIT 100")))
	b.stacked("HTTP responses by status class", "", "short",
		sqlSeries(sql(
			"SELECT "+bucket+" AS time, concat(toString(intDiv(http_code, 100)), 'xx') AS status, countMerge(flows) AS responses",
			"FROM l7_1m",
			"WHERE $__timeFilter(minute) AND l7_protocol = 'HTTP' AND l7_type = 'RESPONSE' AND "+svc,
			"GROUP BY time, status",
			"ORDER BY time")))
	b.timeseries("HTTP latency", "Percentiles of request latency from the per-minute t-digests.", "ms",
		sqlSeries(sql(
			"SELECT time, q[1] / 1e6 AS p50, q[2] / 1e6 AS p95, q[3] / 1e6 AS p99",
			"FROM (",
			"  SELECT "+bucket+" AS time, quantilesTDigestMerge(0.5, 0.95, 0.99)(latency) AS q",
			"  FROM l7_1m",
			"  WHERE $__timeFilter(minute) AND l7_protocol = 'HTTP' AND l7_type = 'RESPONSE' AND "+svc,
			"  GROUP BY time",
			")",
			"ORDER BY time")))
	return b.dashboard()
}
