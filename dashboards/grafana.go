package dashboards

// The subset of Grafana's dashboard model (schema version 39) that loupe's
// dashboards use.

// Dashboard is one dashboard file.
type Dashboard struct {
	ID            *int       `json:"id"`
	UID           string     `json:"uid"`
	Title         string     `json:"title"`
	Description   string     `json:"description"`
	Tags          []string   `json:"tags"`
	Editable      bool       `json:"editable"`
	GraphTooltip  int        `json:"graphTooltip"`
	Refresh       string     `json:"refresh"`
	SchemaVersion int        `json:"schemaVersion"`
	Version       int        `json:"version"`
	Time          TimeRange  `json:"time"`
	Timezone      string     `json:"timezone"`
	Templating    Templating `json:"templating"`
	Links         []Link     `json:"links"`
	Panels        []Panel    `json:"panels"`
}

// TimeRange is the default time range.
type TimeRange struct {
	From string `json:"from"`
	To   string `json:"to"`
}

// Link points to the other loupe dashboards by tag.
type Link struct {
	Title       string   `json:"title"`
	Type        string   `json:"type"`
	Tags        []string `json:"tags"`
	AsDropdown  bool     `json:"asDropdown"`
	IncludeVars bool     `json:"includeVars"`
	KeepTime    bool     `json:"keepTime"`
}

// Templating holds the variables.
type Templating struct {
	List []Variable `json:"list"`
}

// Variable is a data source or query variable.
type Variable struct {
	Name        string         `json:"name"`
	Label       string         `json:"label"`
	Type        string         `json:"type"`
	Query       string         `json:"query"`
	Definition  string         `json:"definition,omitempty"`
	Datasource  *DatasourceRef `json:"datasource,omitempty"`
	Regex       string         `json:"regex"`
	Refresh     int            `json:"refresh"`
	IncludeAll  bool           `json:"includeAll"`
	AllValue    string         `json:"allValue,omitempty"`
	Multi       bool           `json:"multi"`
	Sort        int            `json:"sort"`
	Hide        int            `json:"hide"`
	Current     Current        `json:"current"`
	Options     []any          `json:"options"`
	Description string         `json:"description,omitempty"`
}

// Current is a variable's selection when the dashboard opens.
type Current struct {
	Selected bool `json:"selected"`
	Text     any  `json:"text"`
	Value    any  `json:"value"`
}

// DatasourceRef names a data source by type and uid; loupe's always point
// at the dashboard's data source variable.
type DatasourceRef struct {
	Type string `json:"type"`
	UID  string `json:"uid"`
}

// Panel is a visualization (timeseries, stat, table, bargauge) or a row.
type Panel struct {
	ID          int            `json:"id"`
	Type        string         `json:"type"`
	Title       string         `json:"title"`
	Description string         `json:"description,omitempty"`
	GridPos     GridPos        `json:"gridPos"`
	Datasource  *DatasourceRef `json:"datasource,omitempty"`
	Targets     []Target       `json:"targets,omitempty"`
	FieldConfig *FieldConfig   `json:"fieldConfig,omitempty"`
	Options     map[string]any `json:"options,omitempty"`
	Collapsed   *bool          `json:"collapsed,omitempty"`
	Panels      []Panel        `json:"panels,omitempty"`
}

// GridPos places a panel on the 24-column grid.
type GridPos struct {
	H int `json:"h"`
	W int `json:"w"`
	X int `json:"x"`
	Y int `json:"y"`
}

// FieldConfig carries the unit and display defaults.
type FieldConfig struct {
	Defaults  FieldDefaults `json:"defaults"`
	Overrides []any         `json:"overrides"`
}

// FieldDefaults is the part of a field config loupe sets.
type FieldDefaults struct {
	Unit   string         `json:"unit,omitempty"`
	Min    *float64       `json:"min,omitempty"`
	Max    *float64       `json:"max,omitempty"`
	Custom map[string]any `json:"custom,omitempty"`
}

// Target is one query of a panel: PromQL (Expr) or ClickHouse SQL (RawSQL).
type Target struct {
	RefID        string         `json:"refId"`
	Datasource   *DatasourceRef `json:"datasource"`
	Expr         string         `json:"expr,omitempty"`
	LegendFormat string         `json:"legendFormat,omitempty"`
	Exemplar     bool           `json:"exemplar,omitempty"`
	Instant      bool           `json:"instant,omitempty"`
	Range        bool           `json:"range,omitempty"`
	RawSQL       string         `json:"rawSql,omitempty"`
	EditorType   string         `json:"editorType,omitempty"`
	QueryType    string         `json:"queryType,omitempty"`
	// Format is Prometheus' "time_series" or "table", or the ClickHouse
	// data source's number (0 time series, 1 table).
	Format any `json:"format,omitempty"`
}
