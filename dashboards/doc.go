// Package dashboards defines loupe's Grafana dashboards and renders them
// to the JSON files next to it, which are what users import (or provision)
// and what the tests check: `go test ./dashboards -update` rewrites the
// files after a change here, and the test fails while they differ.
//
// Every dashboard has a data source variable, namespace and workload
// variables, and a stable uid; Prometheus dashboards read the metrics of
// docs/metrics.md, the history dashboard reads ClickHouse through the
// official ClickHouse data source (grafana-clickhouse-datasource). The
// alert rules are in prometheus/loupe-rules.yaml.
package dashboards
