package dashboards

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
)

// All is every dashboard loupe ships; each is written to UID.json.
func All() []Dashboard {
	return []Dashboard{NetworkOverview(), DropsAndPolicy(), DNS(), HTTP(), Health(), History()}
}

// Render is the dashboard's file content: indented JSON, as Grafana
// exports it.
func Render(d Dashboard) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(d); err != nil {
		return nil, fmt.Errorf("render %s: %w", d.UID, err)
	}
	return buf.Bytes(), nil
}

// Load reads a dashboard file.
func Load(path string) (Dashboard, error) {
	var d Dashboard
	b, err := os.ReadFile(path)
	if err != nil {
		return d, fmt.Errorf("read dashboard: %w", err)
	}
	if err := json.Unmarshal(b, &d); err != nil {
		return d, fmt.Errorf("parse dashboard %s: %w", path, err)
	}
	return d, nil
}

// Query is one query of a dashboard, where it comes from and what it is.
type Query struct {
	// Where names it: "panel title/refId" or "variable name".
	Where string
	// Panel is the panel's title, empty for a variable.
	Panel string
	// Text is the PromQL or SQL as stored, before any expansion.
	Text string
	// Variable is set for a variable's query (PromQL variable queries are
	// Grafana functions such as label_values and query_result).
	Variable *Variable
}

// Queries lists every panel target and query variable of d.
func Queries(d Dashboard) []Query {
	var out []Query
	for i := range d.Templating.List {
		v := &d.Templating.List[i]
		if v.Type == "query" {
			out = append(out, Query{Where: "variable " + v.Name, Text: v.Query, Variable: v})
		}
	}
	var walk func(ps []Panel)
	walk = func(ps []Panel) {
		for _, p := range ps {
			for _, t := range p.Targets {
				text := t.Expr
				if text == "" {
					text = t.RawSQL
				}
				out = append(out, Query{Where: p.Title + "/" + t.RefID, Panel: p.Title, Text: text})
			}
			walk(p.Panels)
		}
	}
	walk(d.Panels)
	return out
}
