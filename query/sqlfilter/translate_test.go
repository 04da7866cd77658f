package sqlfilter

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/loupe-dev/loupe/api/flow"
	"github.com/loupe-dev/loupe/collector/filters"
)

func TestTranslateShape(t *testing.T) {
	w, err := Translate(
		[]*flow.FlowFilter{{SourceNamespace: []string{"shop", "o'brien"}, Verdict: []flow.Verdict{flow.Verdict_DROPPED}}},
		[]*flow.FlowFilter{{DestinationPort: []string{"5432"}}})
	if err != nil {
		t.Fatal(err)
	}
	want := "((src_namespace IN (?, ?)) AND (verdict IN (?))) AND (NOT ((protocol IN ('TCP', 'UDP', 'SCTP')) AND (dst_port IN (?))))"
	if diff := cmp.Diff(want, w.SQL); diff != "" {
		t.Errorf("SQL (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]any{"shop", "o'brien", "DROPPED", uint16(5432)}, w.Args); diff != "" {
		t.Errorf("args (-want +got):\n%s", diff)
	}
	if w.Residual != nil {
		t.Error("an exact translation has a residual filter")
	}
}

func TestTranslateAllowAnyDenyNone(t *testing.T) {
	for _, c := range []struct {
		name        string
		allow, deny []*flow.FlowFilter
		want        string
	}{
		{"no filters", nil, nil, "1"},
		{"empty allow filter", []*flow.FlowFilter{{}}, nil, "1"},
		{"nil allow filter", []*flow.FlowFilter{nil, {Reply: []bool{true}}}, nil, "1"},
		{"empty deny filter", nil, []*flow.FlowFilter{{}}, "0"},
		{"both replies", []*flow.FlowFilter{{Reply: []bool{true, false}}}, nil, "(is_reply = 1) OR (is_reply = 0)"},
	} {
		t.Run(c.name, func(t *testing.T) {
			w, err := Translate(c.allow, c.deny)
			if err != nil {
				t.Fatal(err)
			}
			if w.SQL != c.want || len(w.Args) != 0 {
				t.Errorf("got %q %v, want %q", w.SQL, w.Args, c.want)
			}
		})
	}
}

// TestTranslateRefusesAsCompile: bad values get the live filters' errors,
// word for word.
func TestTranslateRefusesAsCompile(t *testing.T) {
	for _, c := range []struct {
		name        string
		allow, deny []*flow.FlowFilter
	}{
		{"injection as a label value", []*flow.FlowFilter{{SourceLabel: []string{"app=x' OR 1=1 --"}}}, nil},
		{"quote in a label key", nil, []*flow.FlowFilter{{DestinationLabel: []string{"a'b"}}}},
		{"broken path regex", []*flow.FlowFilter{{HttpPath: []string{"(/api"}}}, nil},
		{"path regex escaping its anchors", []*flow.FlowFilter{{HttpPath: []string{"a)|(b"}}}, nil},
		{"broken dns regex", nil, []*flow.FlowFilter{{DnsQuery: []string{"[a-"}}}},
		{"invalid utf-8 in a regex", []*flow.FlowFilter{{DnsQuery: []string{"\xff"}}}, nil},
		{"cidr", []*flow.FlowFilter{{SourceIp: []string{"10.0.0.0/33", "x' OR 1=1 --"}}}, nil},
		{"port", []*flow.FlowFilter{{DestinationPort: []string{"1 OR 1=1"}}}, nil},
		{"workload", []*flow.FlowFilter{{SourceWorkload: []string{"a/b/c"}}}, nil},
		{"empty namespace", []*flow.FlowFilter{{SourceNamespace: []string{""}}}, nil},
		{"fqdn", []*flow.FlowFilter{{SourceFqdn: []string{"x' OR 1=1 --"}}}, nil},
		{"node name", []*flow.FlowFilter{{NodeName: []string{"a\x00b"}}}, nil},
		{"method", []*flow.FlowFilter{{HttpMethod: []string{"GET OR 1=1"}}}, nil},
		{"header", []*flow.FlowFilter{{HttpHeader: []string{"no colon"}}}, nil},
		{"status", []*flow.FlowFilter{{HttpStatusCode: []string{"6+"}}}, nil},
		{"trace id", []*flow.FlowFilter{{TraceId: []string{"' OR 1=1 --"}}}, nil},
		{"verdict", []*flow.FlowFilter{{Verdict: []flow.Verdict{99}}}, nil},
		{"event type", []*flow.FlowFilter{{EventType: []string{"trace:nowhere"}}}, nil},
		{"tcp flags", []*flow.FlowFilter{{TcpFlags: []*flow.TCPFlags{{}}}}, nil},
		{"several", []*flow.FlowFilter{{Protocol: []string{"gre"}}}, []*flow.FlowFilter{{DropReason: []flow.DropReason{7}}}},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, want := filters.Compile(c.allow, c.deny)
			if want == nil {
				t.Fatal("Compile accepts the filter: the case is wrong")
			}
			w, err := Translate(c.allow, c.deny)
			if err == nil {
				t.Fatalf("Translate accepted it: %s %v", w.SQL, w.Args)
			}
			if diff := cmp.Diff(want.Error(), err.Error()); diff != "" {
				t.Errorf("error (-compile +translate):\n%s", diff)
			}
			if !errors.Is(err, filters.ErrInvalid) {
				t.Errorf("%v is not filters.ErrInvalid", err)
			}
		})
	}
}

// TestValuesStayOutOfSQL: what a user writes reaches ClickHouse only as
// arguments.
func TestValuesStayOutOfSQL(t *testing.T) {
	hostile := []string{"x' OR 1=1 --", "o'brien", `a\'b`, `\`, "o\x00brien", "?", "#", "--", "; DROP TABLE flows"}
	for _, v := range hostile {
		ff := &flow.FlowFilter{
			SourceNamespace: []string{v}, DestinationWorkload: []string{v, "ns/" + v},
			HttpHeader: []string{"x-a:" + v}, TraceId: []string{"4bf92f3577b34da6a3ce929d0e0e4736"},
		}
		w, err := Translate([]*flow.FlowFilter{ff}, []*flow.FlowFilter{ff})
		if err != nil {
			t.Fatalf("%q: %v", v, err)
		}
		if strings.Contains(w.SQL, v) && v != "?" {
			t.Errorf("%q is in the SQL text: %s", v, w.SQL)
		}
		if n := countPlaceholders(w.SQL); n != len(w.Args) {
			t.Errorf("%q: %d placeholders, %d args", v, n, len(w.Args))
		}
	}
}

func TestResidualForRegexTooLargeForRE2(t *testing.T) {
	huge := `(?:\pL|\pN){40}`
	w, err := Translate(
		[]*flow.FlowFilter{{HttpPath: []string{"/a", huge}, Verdict: []flow.Verdict{flow.Verdict_FORWARDED}}},
		[]*flow.FlowFilter{{DnsQuery: []string{huge}}, {Verdict: []flow.Verdict{flow.Verdict_DROPPED}}})
	if err != nil {
		t.Fatal(err)
	}
	if w.Residual == nil {
		t.Fatal("no residual filter")
	}
	// The allow filter keeps its verdict, the first deny filter is left to
	// Go entirely.
	want := "(verdict IN (?)) AND (NOT (verdict IN (?)))"
	if w.SQL != want {
		t.Errorf("SQL %q, want %q", w.SQL, want)
	}
	f := &flow.Flow{Verdict: flow.Verdict_FORWARDED, L7: &flow.Layer7{Record: &flow.Layer7_Http{Http: &flow.HTTP{Url: "/a"}}}}
	if !w.Residual(f) {
		t.Error("residual filter refuses a flow the request allows")
	}
}

// countPlaceholders counts the ? outside string literals, as clickhouse-go
// binds them.
func countPlaceholders(sql string) int {
	n, quoted := 0, false
	for i := 0; i < len(sql); i++ {
		switch c := sql[i]; {
		case c == '\\' && quoted:
			i++
		case c == '\'':
			quoted = !quoted
		case c == '?' && !quoted:
			n++
		}
	}
	return n
}

// TestNodeNameNotUTF8: Compile panics on it; Translate refuses it.
func TestNodeNameNotUTF8(t *testing.T) {
	_, err := Translate(nil, []*flow.FlowFilter{{}, {NodeName: []string{"node-\xff"}}})
	want := `deny[1]: node_name "node-\xff": want a node name with optional * wildcards, e.g. node-*`
	if err == nil || err.Error() != want || !errors.Is(err, filters.ErrInvalid) {
		t.Errorf("got %v, want %s", err, want)
	}
}
