package sqlfilter

import (
	"context"
	"regexp"
	"testing"

	"github.com/loupe-dev/loupe/internal/testutil"
	"github.com/loupe-dev/loupe/query/store"
)

// rePatterns are expressions as users and the filters write them, chosen
// where Go and ClickHouse's RE2 could part: "." and newlines, Unicode case
// folding, classes from Unicode tables, syntax that 18.16 lacks, escapes.
var rePatterns = []string{
	`^(?:/api/.*)$`, `a.b`, `(?s)a.b`, `(?i)kelvin`, `(?i)STRASSE`, `(?i)ß`, `(?i)ǅ`, `(?<name>ab)c`,
	`\pL+$`, `^\p{Greek}+$`, `[[:alpha:]]+`, `(?i)[k-m]x`, `^$`, `$`, `a$`, `(?m)^b$`, `\Aab\z`,
	`\Qa.b\E`, `\bword\b`, `x{2,3}?y`, `(?U)x+y`, `\x00`, `[^a]`, `\.shop\.$`, `^catalog\.shop$`,
	`(?i:API)\.example`, `^(?i:[-a-zA-Z0-9_]*\.example\.com)$`, `^(?i:node\-.*)$`, `^(?i:GET)$`,
	`é+`, `\x{e9}`, `(a|b)*c`, `.{3}`, `[\d\s]+`, `\D\S\W`, `[^\n]+`, `(?-s:.)+`,
}

var reInputs = []string{
	"", "a", "ab", "abc", "a\nb", "axb", "ab\n", "b\nb", "KELVIN", "\u212aelvin", "straſſe", "STRASSE", "ß", "ẞ",
	"ǆ", "ǅ", "Ǆ", "abc", "αβγ", "Ωmega", "x\u212ax", "kx", "xxy", "xxxy", "a\x00b", "a.b", "word", "a word!",
	"catalog.shop.", "catalog.shop", "API.example", "api.EXAMPLE", "www.example.com", "WWW.EXAMPLE.COM", "a.b.example.com",
	"node-1", "NODE-a\nb", "get", "GeT", "éé", "e\u0301", "/api/x", "/api/x\ny", "/API/", "12 34", "\u00a0",
}

// TestRE2FormMatchesAsGo: the rewritten expression is still Go syntax and
// matches exactly what the original does.
func TestRE2FormMatchesAsGo(t *testing.T) {
	for _, p := range rePatterns {
		form, ok := re2(p)
		if !ok {
			t.Fatalf("%q left to Go", p)
		}
		orig, rewritten := regexp.MustCompile(p), regexp.MustCompile(form)
		for _, in := range reInputs {
			if orig.MatchString(in) != rewritten.MatchString(in) {
				t.Errorf("%q as %q on %q: %v, want %v", p, form, in, rewritten.MatchString(in), orig.MatchString(in))
			}
		}
	}
}

// TestRE2FormOnClickHouse: ClickHouse's match() with the rewritten
// expression agrees with Go's regexp on the original.
func TestRE2FormOnClickHouse(t *testing.T) {
	srv := testutil.ClickHouse(t)
	ctx := context.Background()
	s, err := store.Open(ctx, store.Config{DSN: srv.DSN("regex")})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for _, p := range rePatterns {
		form, _ := re2(p)
		re := regexp.MustCompile(p)
		var got []uint8
		if err := s.Conn().QueryRow(ctx, "SELECT arrayMap(x -> match(x, ?), ?)", form, reInputs).Scan(&got); err != nil {
			t.Fatalf("%q as %q: %v", p, form, err)
		}
		for i, in := range reInputs {
			if want := re.MatchString(in); (got[i] == 1) != want {
				t.Errorf("%q as %q on %q: clickhouse %v, go %v", p, form, in, got[i] == 1, want)
			}
		}
	}
}

func TestRE2LeavesHugeExpressionsToGo(t *testing.T) {
	if _, ok := re2(`(?:\pL|\pN){40}`); ok {
		t.Error("a huge expression is sent to ClickHouse")
	}
	if _, ok := re2(`\pL{3}`); !ok {
		t.Error("a small Unicode class is left to Go")
	}
}
