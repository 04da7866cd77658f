package dashboards

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the dashboard JSON files from their definitions")

// TestFilesAreCurrent: every dashboard file is what its definition
// renders, and every JSON file here has a definition.
func TestFilesAreCurrent(t *testing.T) {
	want := map[string]bool{}
	for _, d := range All() {
		b, err := Render(d)
		if err != nil {
			t.Fatal(err)
		}
		file := d.UID + ".json"
		want[file] = true
		if *update {
			if err := os.WriteFile(file, b, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		got, err := os.ReadFile(file)
		if err != nil {
			t.Fatalf("%v (go test ./dashboards -update writes it)", err)
		}
		if !bytes.Equal(got, b) {
			t.Errorf("%s differs from its definition: run go test ./dashboards -update", file)
		}
	}
	files, _ := filepath.Glob("*.json")
	for _, f := range files {
		if !want[f] {
			t.Errorf("%s has no definition in All()", f)
		}
	}
}

// stableUIDs are the uids links and provisioning rely on: changing one
// breaks every bookmark, so it takes changing this list too.
var stableUIDs = []string{"loupe-network-overview", "loupe-drops-policy", "loupe-dns", "loupe-http", "loupe-health", "loupe-history"}

// TestStructure checks the shipped files as Grafana will read them.
func TestStructure(t *testing.T) {
	var uids []string
	for _, d := range loadAll(t) {
		uids = append(uids, d.UID)
		t.Run(d.UID, func(t *testing.T) { checkDashboard(t, d) })
	}
	if !slices.Equal(uids, stableUIDs) {
		t.Errorf("uids %v, want the stable %v", uids, stableUIDs)
	}
}

func loadAll(t *testing.T) []Dashboard {
	t.Helper()
	var out []Dashboard
	for _, uid := range stableUIDs {
		d, err := Load(uid + ".json")
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, d)
	}
	return out
}

// builtins are Grafana's own variables and the ClickHouse data source's
// macros.
var builtins = map[string]bool{
	"__rate_interval": true, "__interval": true, "__range": true, "__interval_s": true,
	"__timeFilter": true, "__conditionalAll": true, "__fromTime": true, "__toTime": true,
}

var varRef = regexp.MustCompile(`\$\{(\w+)(?::\w+)?\}|\$(\w+)`)

func checkDashboard(t *testing.T, d Dashboard) {
	if len(d.UID) > 40 || !regexp.MustCompile(`^[a-z0-9-]+$`).MatchString(d.UID) {
		t.Errorf("uid %q: want at most 40 lower-case letters, digits and dashes", d.UID)
	}
	if d.Title == "" || !slices.Contains(d.Tags, "loupe") {
		t.Errorf("title %q, tags %v: want a title and the loupe tag", d.Title, d.Tags)
	}
	vars := map[string]Variable{}
	for _, v := range d.Templating.List {
		vars[v.Name] = v
	}
	ds, ok := vars["datasource"]
	if !ok || ds.Type != "datasource" || (ds.Query != PrometheusType && ds.Query != ClickHouseType) {
		t.Fatalf("no datasource variable of a known type: %+v", ds)
	}
	for _, name := range []string{"namespace", "workload"} {
		v, ok := vars[name]
		if !ok || v.Type != "query" || !v.IncludeAll || !v.Multi || v.Query == "" {
			t.Errorf("variable %s: want a multi-value query variable with All, got %+v", name, v)
		}
		if v.Datasource == nil || v.Datasource.UID != "${datasource}" {
			t.Errorf("variable %s does not query the datasource variable", name)
		}
	}
	ids := map[int]bool{}
	var walk func(ps []Panel)
	walk = func(ps []Panel) {
		for _, p := range ps {
			if ids[p.ID] {
				t.Errorf("panel id %d twice", p.ID)
			}
			ids[p.ID] = true
			if p.GridPos.X+p.GridPos.W > 24 || p.GridPos.W == 0 || p.GridPos.H == 0 {
				t.Errorf("%s: grid position %+v is off the 24-column grid", p.Title, p.GridPos)
			}
			walk(p.Panels)
			if p.Type == "row" {
				continue
			}
			if p.Title == "" || len(p.Targets) == 0 {
				t.Errorf("panel %d %q: want a title and targets", p.ID, p.Title)
			}
			if p.Datasource == nil || *p.Datasource != (DatasourceRef{Type: ds.Query, UID: "${datasource}"}) {
				t.Errorf("%s: data source %+v, want the datasource variable", p.Title, p.Datasource)
			}
			for _, tg := range p.Targets {
				if tg.Datasource == nil || *tg.Datasource != *p.Datasource {
					t.Errorf("%s/%s: data source %+v, want the panel's", p.Title, tg.RefID, tg.Datasource)
				}
				if (ds.Query == PrometheusType) != (tg.Expr != "") || (ds.Query == ClickHouseType) != (tg.RawSQL != "") {
					t.Errorf("%s/%s: a %s target needs its query (expr %q, rawSql %q)", p.Title, tg.RefID, ds.Query, tg.Expr, tg.RawSQL)
				}
			}
		}
	}
	walk(d.Panels)
	for _, q := range Queries(d) {
		for _, m := range varRef.FindAllStringSubmatch(q.Text+" "+regexOf(q), -1) {
			name := m[1] + m[2]
			if _, ok := vars[name]; !ok && !builtins[name] && !isDigits(name) {
				t.Errorf("%s: $%s is neither a variable of the dashboard nor a Grafana built-in", q.Where, name)
			}
		}
		if ds.Query == ClickHouseType && strings.Contains(q.Text, "$__timeInterval") {
			t.Errorf("%s: $__timeInterval expands to toStartOfInterval, which ClickHouse 18.16 lacks", q.Where)
		}
	}
}

func regexOf(q Query) string {
	if q.Variable != nil {
		return q.Variable.Regex
	}
	return ""
}

func isDigits(s string) bool { return strings.Trim(s, "0123456789") == "" }
