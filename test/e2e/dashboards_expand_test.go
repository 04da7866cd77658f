package e2e

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"
)

// How the tests turn a dashboard's query into what Grafana sends, for a
// selection of the namespace and workload variables (empty means All).
//
// PromQL (Grafana's Prometheus data source): $__rate_interval and
// $__interval become 30s and $__range 5m; a variable whose All is
// selected becomes its allValue (".*"), a selected value is regex-escaped
// (several would be "(a|b)"); the regex format ${var:regex} is the same.
//
// SQL (the official ClickHouse data source), in the plugin's order:
//  1. $__conditionalAll(condition, $var), innermost last as the plugin
//     scans from the end: 1=1 when $var is All, else the condition. Its
//     arguments split at top-level commas, counting parentheses only.
//  2. Grafana's variables: ${var:singlequote} becomes 'a','b'; $var and
//     ${var} become the values joined by commas.
//  3. The plugin's backend macros: $__timeFilter(c) is
//     "c >= toDateTime(FROM) AND c <= toDateTime(TO)" in Unix seconds,
//     $__fromTime / $__toTime are toDateTime(FROM) / toDateTime(TO),
//     $__interval_s is the interval in whole seconds (30, at least 1),
//     $__timeInterval(c) is toStartOfInterval(toDateTime(c), INTERVAL 30
//     second) (which 18.16 lacks: the dashboards do not use it).
type selection struct {
	namespace, workload string
}

func (s selection) String() string {
	if s == (selection{}) {
		return "All"
	}
	return s.namespace + "/" + s.workload
}

func (s selection) value(name string) (string, bool) {
	switch name {
	case "namespace":
		return s.namespace, true
	case "workload":
		return s.workload, true
	case "instance":
		return "", true
	}
	return "", false
}

const testInterval = 30 * time.Second

var grafanaVar = regexp.MustCompile(`\$\{(\w+)(?::(\w+))?\}|\$(\w+)`)

// expandPromQL is Grafana's interpolation of a Prometheus query.
func expandPromQL(expr string, sel selection) string {
	return grafanaVar.ReplaceAllStringFunc(expr, func(m string) string {
		g := grafanaVar.FindStringSubmatch(m)
		name := g[1] + g[3]
		switch name {
		case "__rate_interval", "__interval":
			return "30s"
		case "__range":
			return "5m"
		}
		v, ok := sel.value(name)
		if !ok {
			return m
		}
		if v == "" {
			return ".*"
		}
		return regexp.QuoteMeta(v)
	})
}

// expandSQL is the ClickHouse data source's expansion of a query over
// [from, to].
func expandSQL(sql string, sel selection, from, to time.Time) (string, error) {
	sql, err := expandConditionalAll(sql, sel)
	if err != nil {
		return "", err
	}
	sql = grafanaVar.ReplaceAllStringFunc(sql, func(m string) string {
		g := grafanaVar.FindStringSubmatch(m)
		name, format := g[1]+g[3], g[2]
		v, ok := sel.value(name)
		if !ok {
			return m // a macro, expanded below
		}
		if format == "singlequote" {
			return "'" + strings.ReplaceAll(v, "'", `\'`) + "'"
		}
		return v
	})
	return expandMacros(sql, from, to)
}

const conditionalAll = "$__conditionalAll("

func expandConditionalAll(sql string, sel selection) (string, error) {
	for i := strings.LastIndex(sql, conditionalAll); i >= 0; i = strings.LastIndex(sql, conditionalAll) {
		args, end, err := macroArgs(sql, i+len(conditionalAll)-1)
		if err != nil || len(args) != 2 {
			return "", fmt.Errorf("$__conditionalAll at %d: want 2 arguments (%v)", i, err)
		}
		name := strings.Trim(strings.TrimSpace(args[1]), "${}")
		v, ok := sel.value(name)
		if !ok {
			return "", fmt.Errorf("$__conditionalAll names %q, not a variable", args[1])
		}
		phrase := args[0]
		if v == "" {
			phrase = "1=1"
		}
		sql = sql[:i] + phrase + sql[end:]
	}
	return sql, nil
}

// macroArgs splits the arguments of the call whose "(" is at open at
// top-level commas; end is just past its ")".
func macroArgs(s string, open int) (args []string, end int, err error) {
	depth, start := 0, open+1
	for i := open; i < len(s); i++ {
		switch s[i] {
		case '(':
			depth++
		case ')':
			depth--
			if depth == 0 {
				return append(args, s[start:i]), i + 1, nil
			}
		case ',':
			if depth == 1 {
				args, start = append(args, s[start:i]), i+1
			}
		}
	}
	return nil, 0, fmt.Errorf("unbalanced parentheses")
}

var backendMacro = regexp.MustCompile(`\$__(\w+)`)

func expandMacros(sql string, from, to time.Time) (string, error) {
	dt := func(t time.Time) string { return fmt.Sprintf("toDateTime(%d)", t.Unix()) }
	for {
		loc := backendMacro.FindStringSubmatchIndex(sql)
		if loc == nil {
			return sql, nil
		}
		name, end := sql[loc[2]:loc[3]], loc[1]
		var repl string
		switch name {
		case "fromTime":
			repl = dt(from)
		case "toTime":
			repl = dt(to)
		case "interval_s":
			repl = fmt.Sprint(max(int(testInterval.Seconds()), 1))
		case "timeFilter", "timeInterval":
			args, e, err := macroArgs(sql, end)
			if err != nil || len(args) != 1 {
				return "", fmt.Errorf("$__%s: want 1 argument (%v)", name, err)
			}
			col := strings.TrimSpace(args[0])
			end = e
			if name == "timeFilter" {
				repl = fmt.Sprintf("%s >= %s AND %s <= %s", col, dt(from), col, dt(to))
			} else {
				repl = fmt.Sprintf("toStartOfInterval(toDateTime(%s), INTERVAL %d second)", col, int(testInterval.Seconds()))
			}
		default:
			return "", fmt.Errorf("unknown macro $__%s", name)
		}
		sql = sql[:loc[0]] + repl + sql[end:]
	}
}

// TestMacroExpansion pins the expansion the dashboard tests rely on.
func TestMacroExpansion(t *testing.T) {
	from, to := time.Unix(1000, 0), time.Unix(2000, 0)
	in := "SELECT $__interval_s WHERE $__timeFilter(minute) AND ($__conditionalAll(a IN (${namespace:singlequote}), $namespace) AND $__conditionalAll(f(b, c) IN (${workload:singlequote}), ${workload}))"
	for sel, want := range map[selection]string{
		{}:                                      "SELECT 30 WHERE minute >= toDateTime(1000) AND minute <= toDateTime(2000) AND (1=1 AND 1=1)",
		{namespace: "shop", workload: "o'neil"}: "SELECT 30 WHERE minute >= toDateTime(1000) AND minute <= toDateTime(2000) AND (a IN ('shop') AND f(b, c) IN ('o\\'neil'))",
	} {
		got, err := expandSQL(in, sel, from, to)
		if err != nil || got != want {
			t.Errorf("%v:\n got %s (%v)\nwant %s", sel, got, err, want)
		}
	}
	prom := `rate(m{source=~"${namespace}/$workload"}[$__rate_interval]) + increase(m[$__range]) + label_replace(m, "x", "$1", "y", "(.*)")`
	if got, want := expandPromQL(prom, selection{namespace: "shop", workload: "a.b"}),
		`rate(m{source=~"shop/a\.b"}[30s]) + increase(m[5m]) + label_replace(m, "x", "$1", "y", "(.*)")`; got != want {
		t.Errorf("PromQL:\n got %s\nwant %s", got, want)
	}
	if got := expandPromQL(`m{source=~"${namespace}/${workload}"}`, selection{}); got != `m{source=~".*/.*"}` {
		t.Errorf("PromQL with All: %s", got)
	}
}
