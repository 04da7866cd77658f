package e2e

import (
	"fmt"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/loupe-dev/loupe/dashboards"
)

const (
	dashboardsDir  = "../../dashboards"
	alertRulesFile = "../../dashboards/prometheus/loupe-rules.yaml"
)

// loadDashboards reads the shipped dashboard files of a data source type.
func loadDashboards(t *testing.T, dsType string) []dashboards.Dashboard {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dashboardsDir, "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no dashboards in %s: %v", dashboardsDir, err)
	}
	var out []dashboards.Dashboard
	for _, f := range files {
		d, err := dashboards.Load(f)
		if err != nil {
			t.Fatal(err)
		}
		if d.Templating.List[0].Query == dsType {
			out = append(out, d)
		}
	}
	return out
}

// checkPromDashboards evaluates every PromQL query of every Prometheus
// dashboard with All selected (each must return data, or be valid while
// it waits on L7 flows), then with one namespace and workload selected
// (each must be valid), and every query variable (each must offer values).
func checkPromDashboards(t *testing.T, m *metricsRun) {
	var withData, validOnly []namedQuery
	var variables []variableOf
	for _, d := range loadDashboards(t, dashboards.PrometheusType) {
		for _, q := range dashboards.Queries(d) {
			if q.Variable != nil {
				variables = append(variables, variableOf{d.UID, q.Variable})
				continue
			}
			nq := namedQuery{where: d.UID + ": " + q.Where, text: expandPromQL(q.Text, selection{})}
			if waitsOnL7(m, d.UID, q.Panel) {
				validOnly = append(validOnly, nq)
			} else {
				withData = append(withData, nq)
			}
			one := selection{namespace: "shop", workload: "frontend"}
			validOnly = append(validOnly, namedQuery{where: nq.where + " (" + one.String() + ")", text: expandPromQL(q.Text, one)})
		}
	}
	m.requireData(t, withData)
	for _, q := range validOnly {
		if _, err := m.prom.query(q.text); err != nil {
			t.Errorf("%s: %s: invalid: %v", q.where, q.text, err)
		}
	}
	for _, v := range variables {
		checkPromVariable(t, m, v)
	}
}

type variableOf struct {
	uid string
	v   *dashboards.Variable
}

var labelValues = regexp.MustCompile(`^label_values\((.*),\s*(\w+)\)$`)

// want names a value each variable must offer after the lab run.
var wantVariableValue = map[string]string{"namespace": "shop", "workload": "frontend", "instance": "127.0.0.1"}

// checkPromVariable runs a variable's query as Grafana does (query_result
// gives the series as text lines, label_values a label's values), applies
// its regex, and requires the expected value among the results.
func checkPromVariable(t *testing.T, m *metricsRun, vo variableOf) {
	v := vo.v
	var expr, label string
	switch {
	case strings.HasPrefix(v.Query, "query_result(") && strings.HasSuffix(v.Query, ")"):
		expr = strings.TrimSuffix(strings.TrimPrefix(v.Query, "query_result("), ")")
	case labelValues.MatchString(v.Query):
		g := labelValues.FindStringSubmatch(v.Query)
		expr, label = "count by ("+g[2]+") ("+g[1]+")", g[2]
	default:
		t.Errorf("%s: variable %s: %q is neither query_result nor label_values", vo.uid, v.Name, v.Query)
		return
	}
	samples, err := m.prom.vector(expandPromQL(expr, selection{}))
	if err != nil {
		t.Errorf("%s: variable %s: %v", vo.uid, v.Name, err)
		return
	}
	var texts []string
	for _, s := range samples {
		if label != "" {
			texts = append(texts, s.Metric[label])
		} else {
			texts = append(texts, seriesText(s))
		}
	}
	values := texts
	if v.Regex != "" {
		re, err := regexp.Compile(jsRegex(expandPromQL(v.Regex, selection{})))
		if err != nil {
			t.Errorf("%s: variable %s: regex %s: %v", vo.uid, v.Name, v.Regex, err)
			return
		}
		values = nil
		for _, s := range texts {
			if g := re.FindStringSubmatch(s); g != nil {
				values = append(values, g[len(g)-1])
			}
		}
	}
	want := wantVariableValue[v.Name]
	if !slices.ContainsFunc(values, func(s string) bool { return strings.HasPrefix(s, want) }) {
		t.Errorf("%s: variable %s offers %v, want %q among them (series: %v)", vo.uid, v.Name, values, want, texts)
	}
}

// seriesText is a series as query_result shows it to a variable's regex.
func seriesText(s sample) string {
	var keys []string
	for k := range s.Metric {
		if k != "__name__" {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	var parts []string
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%s=%q", k, s.Metric[k]))
	}
	return fmt.Sprintf("%s{%s} %v %v", s.Metric["__name__"], strings.Join(parts, ", "), s.Value[1], s.Value[0])
}

// checkExemplars: once HTTP flows exist, the request-duration histogram
// carries trace ids as exemplars through a real Prometheus.
func checkExemplars(t *testing.T, m *metricsRun) {
	const expr = "loupe_http_request_duration_seconds_bucket"
	ids, err := m.prom.exemplars(expr, 10*60e9)
	if err != nil {
		t.Fatalf("query_exemplars %s: %v", expr, err)
	}
	if !m.l7 {
		t.Logf("waiting on L7 flows: %d exemplars of %s (none expected without the proxy)", len(ids), expr)
		return
	}
	for _, id := range ids {
		if regexp.MustCompile(`^[0-9a-f]{32}$`).MatchString(id) {
			return
		}
	}
	t.Errorf("no exemplar of %s carries a trace id: %v", expr, ids)
}

// jsRegex is the pattern of a /pattern/flags literal, as Grafana writes a
// variable's regex.
func jsRegex(s string) string {
	if i := strings.LastIndex(s, "/"); strings.HasPrefix(s, "/") && i > 0 {
		return s[1:i]
	}
	return s
}
