package httpproxy

import (
	"net/http"
	"slices"
	"strings"

	"github.com/loupe-dev/loupe/api/flow"
)

// Redacted replaces values that flows do not keep.
const Redacted = "[REDACTED]"

// Bounds of what one flow records of a request's headers.
const (
	maxRecordedHeaders = 64
	maxRecordedValue   = 1024
)

// sensitiveHeaders carry credentials; their values are redacted unless
// Config.KeepHeaders names them.
var sensitiveHeaders = []string{"Authorization", "Proxy-Authorization", "Cookie", "Set-Cookie"}

// redactor turns requests' headers and URLs into what flows record.
type redactor struct {
	redact    map[string]bool // canonical header names
	keepQuery bool
	omit      bool
}

func newRedactor(cfg Config) redactor {
	r := redactor{redact: map[string]bool{}, keepQuery: cfg.KeepQuery, omit: cfg.OmitHeaders}
	for _, h := range sensitiveHeaders {
		r.redact[h] = true
	}
	for _, h := range cfg.KeepHeaders {
		delete(r.redact, http.CanonicalHeaderKey(h))
	}
	return r
}

// headers lists h sorted by name, credentials redacted, bounded.
func (r redactor) headers(h http.Header) []*flow.HTTPHeader {
	if r.omit || len(h) == 0 {
		return nil
	}
	keys := make([]string, 0, len(h))
	for k := range h {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var out []*flow.HTTPHeader
	for _, k := range keys {
		for _, v := range h[k] {
			if len(out) == maxRecordedHeaders {
				return out
			}
			switch {
			case r.redact[k]:
				v = Redacted
			case len(v) > maxRecordedValue:
				v = v[:maxRecordedValue]
			}
			out = append(out, &flow.HTTPHeader{Key: k, Value: v})
		}
	}
	return out
}

// query redacts the values of a raw query: "a=1&b" becomes
// "a=[REDACTED]&b".
func (r redactor) query(raw string) string {
	if r.keepQuery || raw == "" {
		return raw
	}
	var b strings.Builder
	b.Grow(len(raw))
	for i, part := range strings.Split(raw, "&") {
		if i > 0 {
			b.WriteByte('&')
		}
		name, _, hasValue := strings.Cut(part, "=")
		b.WriteString(name)
		if hasValue {
			b.WriteString("=" + Redacted)
		}
	}
	return b.String()
}

// url is the request's URL as flows record it: http://host/path?query.
func (r redactor) url(host string, req *http.Request) string {
	u := "http://" + host + req.URL.EscapedPath()
	if req.URL.RawQuery != "" || req.URL.ForceQuery {
		u += "?" + r.query(req.URL.RawQuery)
	}
	return u
}
