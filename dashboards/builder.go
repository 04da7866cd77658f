package dashboards

// Data source types: Grafana's Prometheus and the official ClickHouse
// data source.
const (
	PrometheusType = "prometheus"
	ClickHouseType = "grafana-clickhouse-datasource"
)

// board builds one dashboard: panels are laid out left to right, top to
// bottom, on Grafana's 24-column grid.
type board struct {
	d      Dashboard
	ds     *DatasourceRef
	nextID int
	x, y   int
	rowH   int
}

func newBoard(uid, title, description, dsType string, vars ...Variable) *board {
	ds := &DatasourceRef{Type: dsType, UID: "${datasource}"}
	list := []Variable{datasourceVar(dsType)}
	for _, v := range vars {
		v.Datasource = ds
		list = append(list, v)
	}
	return &board{ds: ds, d: Dashboard{
		UID: uid, Title: title, Description: description,
		Tags:         []string{"loupe"},
		Editable:     true,
		GraphTooltip: 1,
		Refresh:      "30s",
		// Grafana 10.4 writes schema version 39; older versions migrate it.
		SchemaVersion: 39,
		Version:       1,
		Time:          TimeRange{From: "now-1h", To: "now"},
		Timezone:      "browser",
		Templating:    Templating{List: list},
		Links: []Link{{Title: "loupe", Type: "dashboards", Tags: []string{"loupe"},
			AsDropdown: true, IncludeVars: true, KeepTime: true}},
	}}
}

// row starts a new row of panels under a heading.
func (b *board) row(title string) {
	b.newline()
	collapsed := false
	b.nextID++
	b.d.Panels = append(b.d.Panels, Panel{ID: b.nextID, Type: "row", Title: title, Collapsed: &collapsed,
		GridPos: GridPos{H: 1, W: 24, X: 0, Y: b.y}})
	b.y++
}

func (b *board) newline() {
	if b.x > 0 {
		b.x, b.y, b.rowH = 0, b.y+b.rowH, 0
	}
}

// add places p, w columns wide and h high, on the data source variable.
func (b *board) add(p Panel, w, h int) {
	if b.x+w > 24 {
		b.newline()
	}
	b.nextID++
	p.ID = b.nextID
	p.GridPos = GridPos{H: h, W: w, X: b.x, Y: b.y}
	p.Datasource = b.ds
	for i := range p.Targets {
		p.Targets[i].RefID = string(rune('A' + i))
		p.Targets[i].Datasource = b.ds
	}
	b.d.Panels = append(b.d.Panels, p)
	b.x += w
	b.rowH = max(b.rowH, h)
}

func (b *board) stat(title, description, unit string, t ...Target) {
	b.add(Panel{Type: "stat", Title: title, Description: description, Targets: t,
		FieldConfig: &FieldConfig{Defaults: FieldDefaults{Unit: unit}, Overrides: []any{}},
		Options: map[string]any{"reduceOptions": map[string]any{"calcs": []string{"lastNotNull"}, "fields": "", "values": false},
			"colorMode": "value", "graphMode": "area"}}, 6, 4)
}

func (b *board) timeseries(title, description, unit string, t ...Target) {
	b.add(Panel{Type: "timeseries", Title: title, Description: description, Targets: t,
		FieldConfig: &FieldConfig{Defaults: FieldDefaults{Unit: unit, Custom: map[string]any{"fillOpacity": 10, "showPoints": "never"}}, Overrides: []any{}},
		Options: map[string]any{"legend": map[string]any{"displayMode": "table", "placement": "right", "calcs": []string{"mean", "max"}},
			"tooltip": map[string]any{"mode": "multi", "sort": "desc"}}}, 12, 8)
}

func (b *board) stacked(title, description, unit string, t ...Target) {
	b.timeseries(title, description, unit, t...)
	p := &b.d.Panels[len(b.d.Panels)-1]
	p.FieldConfig.Defaults.Custom["stacking"] = map[string]any{"mode": "normal", "group": "A"}
	p.FieldConfig.Defaults.Custom["fillOpacity"] = 40
}

func (b *board) table(title, description string, w int, t ...Target) {
	b.add(Panel{Type: "table", Title: title, Description: description, Targets: t,
		FieldConfig: &FieldConfig{Defaults: FieldDefaults{}, Overrides: []any{}},
		Options:     map[string]any{"showHeader": true, "footer": map[string]any{"show": false}}}, w, 9)
}

func (b *board) dashboard() Dashboard { return b.d }

// prom is a PromQL target over time.
func prom(expr, legend string) Target {
	return Target{Expr: expr, LegendFormat: legend, Range: true, Format: "time_series"}
}

// promTable is a PromQL target read once, as a table.
func promTable(expr string) Target {
	return Target{Expr: expr, Instant: true, Format: "table", LegendFormat: "__auto"}
}

// ClickHouse data source formats.
const (
	chTimeSeries = 0
	chTable      = 1
)

func sqlSeries(sql string) Target {
	return Target{RawSQL: sql, EditorType: "sql", QueryType: "timeseries", Format: chTimeSeries}
}

func sqlTable(sql string) Target {
	return Target{RawSQL: sql, EditorType: "sql", QueryType: "table", Format: chTable}
}

func datasourceVar(dsType string) Variable {
	return Variable{Name: "datasource", Label: "Data source", Type: "datasource", Query: dsType,
		Refresh: 1, Current: Current{}, Options: []any{}}
}

// queryVar is a multi-value variable with All, refreshed with the time
// range. allValue is what All stands for (".*" for PromQL regexes); empty
// leaves All as $__all, which $__conditionalAll turns into 1=1.
func queryVar(name, label, query, regex, allValue, description string) Variable {
	return Variable{Name: name, Label: label, Type: "query", Query: query, Definition: query, Regex: regex,
		Refresh: 2, IncludeAll: true, AllValue: allValue, Multi: true, Sort: 1, Description: description,
		Current: Current{Selected: true, Text: []string{"All"}, Value: []string{"$__all"}}, Options: []any{}}
}
