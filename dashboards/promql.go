package dashboards

import "strings"

// The Prometheus dashboards read the flow metrics with the workload
// context on both sides (docs/dashboards.md): source and destination are
// "namespace/name", so one regex matches the namespace and workload
// variables, whose All is ".*".
const (
	srcMatch = `source=~"${namespace}/${workload}"`
	dstMatch = `destination=~"${namespace}/${workload}"`
	window   = "[$__rate_interval]"
)

// sel is metric{matchers}.
func sel(metric string, matchers ...string) string {
	var m []string
	for _, s := range matchers {
		if s != "" {
			m = append(m, s)
		}
	}
	return metric + "{" + strings.Join(m, ", ") + "}"
}

// rate is the per-second rate of metric over Grafana's rate interval.
func rate(metric string, matchers ...string) string {
	return "rate(" + sel(metric, matchers...) + window + ")"
}

// either is the rate of the series whose source or destination matches
// the variables. `or` keeps a series matching both once: both sides carry
// the full label set.
func either(metric, matcher string) string {
	return "(" + rate(metric, matcher, srcMatch) + " or " + rate(metric, matcher, dstMatch) + ")"
}

// workloadVars are the namespace and workload variables of the Prometheus
// dashboards: every "namespace/name" seen on either side of a flow.
func workloadVars() []Variable {
	const workloads = `query_result(sum by (workload) (label_replace(loupe_flows_processed_total, "workload", "$1", "source", "(.+/.+)") or label_replace(loupe_flows_processed_total, "workload", "$1", "destination", "(.+/.+)")))`
	return []Variable{
		queryVar("namespace", "Namespace", workloads, `/workload="([^"/]+)\//`, ".*",
			"Namespaces of the workloads on either side of a flow."),
		queryVar("workload", "Workload", workloads, `/workload="${namespace}\/([^"]+)"/`, ".*",
			"Workloads of the selected namespaces."),
	}
}
