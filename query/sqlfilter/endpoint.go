package sqlfilter

import (
	"regexp"
	"strings"

	"github.com/loupe-dev/loupe/api/labels"
)

// side is the column prefix of one endpoint: src or dst.
type side string

const (
	src side = "src"
	dst side = "dst"
)

func (s side) col(name string) string { return string(s) + "_" + name }

// selectors: values ORed, the requirements of one selector ANDed.
func selectors(s side, values []string) expr {
	return anyOf(values, func(v string) expr {
		// Compile accepted v: it parses.
		sel, _ := labels.ParseSelector(v)
		reqs := sel.Requirements()
		es := make([]expr, len(reqs))
		for i, r := range reqs {
			es[i] = requirement(s.col("labels"), r)
		}
		return and(es...)
	})
}

// requirement follows labels.Set.Get: the value of key k is read from the
// first element whose key is k, that is the element "k" (value "") or one
// starting with "k=" (a valid key has no "=").
func requirement(col string, r labels.Requirement) expr {
	hasKey := "x -> x = ? OR startsWith(x, ?)"
	keyArgs := []any{r.Key, r.Key + "="}
	switch r.Operator {
	case labels.Exists:
		return term("arrayExists("+hasKey+", "+col+")", keyArgs...)
	case labels.NotExists:
		return not(term("arrayExists("+hasKey+", "+col+")", keyArgs...))
	}
	// The elements that give one of the values. arrayFirst returns "" when
	// no element has the key, and "" is none of them.
	var elems []any
	for _, v := range r.Values {
		elems = append(elems, r.Key+"="+v)
		if v == "" {
			elems = append(elems, r.Key)
		}
	}
	e := term("arrayFirst("+hasKey+", "+col+") IN ("+placeholders(len(elems))+")", append(keyArgs, elems...)...)
	if r.Operator == labels.NotEquals || r.Operator == labels.NotIn {
		return not(e)
	}
	return e
}

// workloads: a name, or namespace/name to pin the namespace too.
func workloads(s side, values []string) expr {
	return anyOf(values, func(v string) expr {
		ns, name, pinned := strings.Cut(v, "/")
		if !pinned {
			return term(s.col("workload")+" = ?", v)
		}
		return term(s.col("workload")+" = ? AND "+s.col("namespace")+" = ?", name, ns)
	})
}

// trimmedName is a DNS name of the names array without one trailing dot.
const trimmedName = "if(endsWith(x, '.'), substring(x, 1, length(x) - 1), x)"

// fqdns: patterns where "*" is any run of [-a-zA-Z0-9_], matched
// case-insensitively against the whole name; a lone "*" matches any
// non-empty name. Both sides ignore one trailing dot.
func fqdns(s side, values []string) (expr, bool) {
	col := s.col("names")
	var res []any
	for _, v := range values {
		p := strings.TrimSuffix(v, ".")
		if p == "*" {
			return term("arrayExists(x -> " + trimmedName + " != '', " + col + ")"), true
		}
		// The live filter's construction, then its RE2 form.
		pattern := strings.ReplaceAll(regexp.QuoteMeta(p), `\*`, `[-a-zA-Z0-9_]*`)
		re, ok := re2(`^(?i:` + pattern + `)$`)
		if !ok {
			return never, false
		}
		res = append(res, re)
	}
	matches := make([]string, len(res))
	for i := range res {
		matches[i] = "match(" + trimmedName + ", ?)"
	}
	return term("arrayExists(x -> "+trimmedName+" != '' AND ("+strings.Join(matches, " OR ")+"), "+col+")", res...), true
}
