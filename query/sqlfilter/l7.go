package sqlfilter

import (
	"regexp"
	"strconv"
	"strings"
)

const isHTTP = "l7_protocol = 'HTTP'"

// httpMethods: compared as strings.EqualFold does, which is what (?i)
// matches: rune by rune within Unicode fold orbits.
func httpMethods(values []string) (expr, bool) {
	var es []expr
	for _, m := range values {
		re, ok := re2(`^(?i:` + regexp.QuoteMeta(m) + `)$`)
		if !ok {
			return never, false
		}
		es = append(es, term("match(http_method, ?)", re))
	}
	return and(term(isHTTP), or(es...)), true
}

// urlPath is the path of http_url as collector/filters reads it: after
// the first "://" from the first "/" of what precedes "?" and "#" ("/"
// when there is none), otherwise what precedes "?" and "#". Functions on
// bytes only; no value from the request is in it.
var urlPath = func() string {
	cut := func(x string) string { // what precedes the first ? and #
		return "splitByChar('#', splitByChar('?', " + x + ")[1])[1]"
	}
	rest := cut("substring(http_url, position(http_url, '://') + 3)")
	absolute := "if(position(" + rest + ", '/') > 0, substring(" + rest + ", position(" + rest + ", '/')), '/')"
	return "if(position(http_url, '://') > 0, " + absolute + ", " + cut("http_url") + ")"
}()

// httpPaths: RE2 matching the whole path.
func httpPaths(values []string) (expr, bool) {
	var es []expr
	for _, v := range values {
		re, ok := re2(`^(?:` + v + `)$`)
		if !ok {
			return never, false
		}
		es = append(es, term("match("+urlPath+", ?)", re))
	}
	return and(term(isHTTP), or(es...)), true
}

// httpStatus: a code, or a prefix with "+": "5+" is 500-599.
func httpStatus(values []string) expr {
	return and(term(isHTTP), anyOf(values, func(v string) expr {
		digits, _ := strings.CutSuffix(v, "+")
		n, _ := strconv.ParseUint(digits, 10, 16)
		scale := uint64(1)
		for range 3 - len(digits) {
			scale *= 10
		}
		return term("http_code >= ? AND http_code <= ?", uint16(n*scale), uint16(n*scale+scale-1))
	}))
}

// httpHeaders: "key:value", the key matched as strings.EqualFold does, the
// value exactly, both trimmed of spaces.
func httpHeaders(values []string) (expr, bool) {
	var es []expr
	for _, v := range values {
		k, val, _ := strings.Cut(v, ":")
		re, ok := re2(`^(?i:` + regexp.QuoteMeta(strings.TrimSpace(k)) + `)$`)
		if !ok {
			return never, false
		}
		es = append(es, term("arrayExists((k, v) -> match(k, ?) AND v = ?, http_header_names, http_header_values)",
			re, strings.TrimSpace(val)))
	}
	return and(term(isHTTP), or(es...)), true
}

// dnsQueries: RE2 searched in the query name, and in the name without its
// trailing dot.
func dnsQueries(values []string) (expr, bool) {
	var es []expr
	for _, v := range values {
		re, ok := re2(v)
		if !ok {
			return never, false
		}
		es = append(es, term("match(dns_query, ?) OR (endsWith(dns_query, '.') AND match(substring(dns_query, 1, length(dns_query) - 1), ?))", re, re))
	}
	return and(term("l7_protocol = 'DNS'"), or(es...)), true
}
