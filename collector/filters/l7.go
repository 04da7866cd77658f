package filters

import (
	"regexp"
	"strconv"
	"strings"

	"github.com/loupe-dev/loupe/api/flow"
)

// isToken reports whether s is an HTTP token (RFC 9110), the syntax of
// methods and header names.
func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0 {
			continue
		}
		return false
	}
	return true
}

// compileHTTPMethods: each value is a method, matched case-insensitively.
func compileHTTPMethods(b *builder, values []string) {
	if len(values) == 0 {
		return
	}
	methods := make([]string, 0, len(values))
	for _, v := range values {
		if !isToken(v) {
			b.fail("http_method", v, "want an HTTP method, e.g. GET")
			continue
		}
		methods = append(methods, v)
	}
	b.add(costString, func(f *flow.Flow) bool {
		http := f.GetL7().GetHttp()
		if http == nil {
			return false
		}
		for _, m := range methods {
			if strings.EqualFold(http.GetMethod(), m) {
				return true
			}
		}
		return false
	})
}

// urlPath returns the path of an HTTP URL as the proxy records it, absolute
// ("http://host/a?b") or origin-form ("/a?b"), without allocating.
func urlPath(u string) string {
	if i := strings.Index(u, "://"); i >= 0 {
		rest := u[i+3:]
		j := strings.IndexAny(rest, "/?#")
		if j < 0 || rest[j] != '/' {
			return "/"
		}
		u = rest[j:]
	}
	if i := strings.IndexAny(u, "?#"); i >= 0 {
		u = u[:i]
	}
	return u
}

// compileHTTPPaths: each value is an RE2 expression that must match the
// whole URL path, as in Hubble: "/api/.*" and not "/api".
func compileHTTPPaths(b *builder, values []string) {
	if len(values) == 0 {
		return
	}
	res := make([]*regexp.Regexp, 0, len(values))
	for _, v := range values {
		// Checked alone first: "a)|(b" would otherwise escape the anchors.
		if _, err := regexp.Compile(v); err != nil || v == "" {
			b.fail("http_path", v, reReason(v, err))
			continue
		}
		res = append(res, regexp.MustCompile(`^(?:`+v+`)$`))
	}
	b.add(costRegexp, func(f *flow.Flow) bool {
		http := f.GetL7().GetHttp()
		if http == nil {
			return false
		}
		p := urlPath(http.GetUrl())
		for _, re := range res {
			if re.MatchString(p) {
				return true
			}
		}
		return false
	})
}

// reReason explains why v is not a usable RE2 expression.
func reReason(v string, err error) string {
	if v == "" {
		return "empty regular expression"
	}
	// Compile's error starts with "error parsing regexp: "; keep what follows.
	msg := err.Error()
	if _, after, ok := strings.Cut(msg, "error parsing regexp: "); ok {
		msg = after
	}
	return "not an RE2 expression: " + msg
}

type statusRange struct{ lo, hi uint32 }

// compileHTTPStatus: each value is a status code ("404") or a prefix with
// "+": "5+" is 500-599, "40+" is 400-409.
func compileHTTPStatus(b *builder, values []string) {
	if len(values) == 0 {
		return
	}
	ranges := make([]statusRange, 0, len(values))
	for _, v := range values {
		r, ok := parseStatus(v)
		if !ok {
			b.fail("http_status_code", v, "want a status code (200) or a prefix with + (5+, 40+)")
			continue
		}
		ranges = append(ranges, r)
	}
	b.add(costNumber, func(f *flow.Flow) bool {
		http := f.GetL7().GetHttp()
		if http == nil {
			return false
		}
		code := http.GetCode()
		for _, r := range ranges {
			if code >= r.lo && code <= r.hi {
				return true
			}
		}
		return false
	})
}

func parseStatus(v string) (statusRange, bool) {
	digits, prefix := strings.CutSuffix(v, "+")
	if len(digits) == 0 || len(digits) > 3 || (!prefix && len(digits) != 3) || digits[0] < '1' || digits[0] > '5' {
		return statusRange{}, false
	}
	n, err := strconv.ParseUint(digits, 10, 32)
	if err != nil || strconv.FormatUint(n, 10) != digits {
		return statusRange{}, false
	}
	scale := uint32(1)
	for range 3 - len(digits) {
		scale *= 10
	}
	lo := uint32(n) * scale
	return statusRange{lo: lo, hi: lo + scale - 1}, true
}

type header struct{ key, value string }

// compileHTTPHeaders: each value is "key:value"; the key matches
// case-insensitively, the value exactly (spaces around it are ignored).
func compileHTTPHeaders(b *builder, values []string) {
	if len(values) == 0 {
		return
	}
	headers := make([]header, 0, len(values))
	for _, v := range values {
		k, val, ok := strings.Cut(v, ":")
		k = strings.TrimSpace(k)
		if !ok || !isToken(k) {
			b.fail("http_header", v, "want key:value, e.g. content-type:application/json")
			continue
		}
		headers = append(headers, header{key: k, value: strings.TrimSpace(val)})
	}
	b.add(costList, func(f *flow.Flow) bool {
		for _, h := range f.GetL7().GetHttp().GetHeaders() {
			for _, want := range headers {
				if strings.EqualFold(h.GetKey(), want.key) && h.GetValue() == want.value {
					return true
				}
			}
		}
		return false
	})
}

// compileDNSQueries: each value is an RE2 expression searched in the query
// name, which matches with or without its trailing dot: both
// `^catalog\.shop$` and `\.shop\.$` match the query "catalog.shop.".
func compileDNSQueries(b *builder, values []string) {
	if len(values) == 0 {
		return
	}
	res := make([]*regexp.Regexp, 0, len(values))
	for _, v := range values {
		re, err := regexp.Compile(v)
		if err != nil || v == "" {
			b.fail("dns_query", v, reReason(v, err))
			continue
		}
		res = append(res, re)
	}
	b.add(costRegexp, func(f *flow.Flow) bool {
		dns := f.GetL7().GetDns()
		if dns == nil {
			return false
		}
		q := dns.GetQuery()
		bare := strings.TrimSuffix(q, ".")
		for _, re := range res {
			if re.MatchString(q) || (len(bare) != len(q) && re.MatchString(bare)) {
				return true
			}
		}
		return false
	})
}
