package filters

import (
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/loupe-dev/loupe/api/flow"
)

// fqdnPatternRe is what a DNS name pattern may contain, as in Cilium's
// toFQDNs matchPattern.
var fqdnPatternRe = regexp.MustCompile(`^[-a-zA-Z0-9_.*]+$`)

// compileFQDNs: each value is a DNS name, where "*" stands for any run of
// characters within one label ("*.example.com" matches "www.example.com" but
// not "a.b.example.com"), and a lone "*" matches every name. Matching is
// case-insensitive and ignores a trailing dot on either side.
func compileFQDNs(b *builder, field string, values []string, names func(*flow.Flow) []string) {
	if len(values) == 0 {
		return
	}
	var res []*regexp.Regexp
	anyName := false
	for _, v := range values {
		p := strings.TrimSuffix(v, ".")
		if !fqdnPatternRe.MatchString(p) || strings.Contains(p, "..") || strings.HasPrefix(p, ".") {
			b.fail(field, v, "want a DNS name with optional * wildcards, e.g. *.example.com")
			continue
		}
		if p == "*" {
			anyName = true
			continue
		}
		expr := strings.ReplaceAll(regexp.QuoteMeta(p), `\*`, `[-a-zA-Z0-9_]*`)
		res = append(res, regexp.MustCompile(`^(?i:`+expr+`)$`))
	}
	b.add(costRegexp, func(f *flow.Flow) bool {
		for _, n := range names(f) {
			n = strings.TrimSuffix(n, ".")
			if n == "" {
				continue
			}
			if anyName {
				return true
			}
			for _, re := range res {
				if re.MatchString(n) {
					return true
				}
			}
		}
		return false
	})
}

// compileNodeNames: each value is a node name where "*" stands for any run of
// characters ("node-*", "*.lab"), matched case-insensitively.
func compileNodeNames(b *builder, values []string) {
	if len(values) == 0 {
		return
	}
	res := make([]*regexp.Regexp, 0, len(values))
	for _, v := range values {
		if v == "" || !utf8.ValidString(v) || strings.ContainsFunc(v, isSpaceOrControl) {
			b.fail("node_name", v, "want a node name with optional * wildcards, e.g. node-*")
			continue
		}
		expr := strings.ReplaceAll(regexp.QuoteMeta(v), `\*`, `.*`)
		res = append(res, regexp.MustCompile(`^(?i:`+expr+`)$`))
	}
	b.add(costRegexp, func(f *flow.Flow) bool {
		n := f.GetNodeName()
		for _, re := range res {
			if re.MatchString(n) {
				return true
			}
		}
		return false
	})
}

func isSpaceOrControl(r rune) bool { return r <= ' ' || r == 0x7f }
