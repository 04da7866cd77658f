package schema

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden DDL files")

// TestDDLGolden pins the DDL each server generation gets. Run with -update
// after a deliberate schema change, and add a migration for it.
func TestDDLGolden(t *testing.T) {
	for name, f := range map[string]Features{"18.16": Legacy, "24.8": FeaturesOf(24, 8, 1)} {
		t.Run(name, func(t *testing.T) {
			var b strings.Builder
			for _, m := range Migrations {
				for _, s := range m.Statements(f, Options{RetentionDays: 30}) {
					b.WriteString(s + ";\n\n")
				}
			}
			file := filepath.Join("testdata", "ddl-"+name+".sql")
			if *update {
				if err := os.WriteFile(file, []byte(b.String()), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			if b.String() != string(want) {
				t.Fatalf("DDL for %s differs from %s: run go test ./query/schema -update and review the diff", name, file)
			}
		})
	}
}

func TestFeatures(t *testing.T) {
	for _, c := range []struct {
		ma, mi uint64
		modern bool
		ttl    bool
	}{{18, 16, false, false}, {19, 6, false, true}, {20, 1, true, true}, {24, 8, true, true}} {
		f := FeaturesOf(c.ma, c.mi, 0)
		if f.Modern() != c.modern || f.TTL != c.ttl {
			t.Errorf("%d.%d: %+v", c.ma, c.mi, f)
		}
	}
}

func TestColumnTypes(t *testing.T) {
	modern := FeaturesOf(24, 8, 1)
	for _, c := range []struct {
		col          Column
		legacy, want string
	}{
		{Column{Name: "a", Type: "String", LowCardinality: true}, "`a` String", "`a` LowCardinality(String)"},
		{Column{Name: "a", Type: "Array(String)", LowCardinality: true}, "`a` Array(String)", "`a` Array(LowCardinality(String))"},
		{Column{Name: "t", Type: "DateTime", Modern: "DateTime64(9)", Codec: "ZSTD(1)"}, "`t` DateTime", "`t` DateTime64(9) CODEC(ZSTD(1))"},
		{Column{Name: "n", Type: "UInt64", ModernAlias: "f(t)", Codec: "ZSTD(1)"}, "`n` UInt64", "`n` UInt64 ALIAS f(t)"},
	} {
		if got := c.col.DDL(Legacy); got != c.legacy {
			t.Errorf("legacy %q, want %q", got, c.legacy)
		}
		if got := c.col.DDL(modern); got != c.want {
			t.Errorf("modern %q, want %q", got, c.want)
		}
	}
}
