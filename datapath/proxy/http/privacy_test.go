package httpproxy

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/loupe-dev/loupe/api/flow"
	"github.com/loupe-dev/loupe/datapath/proxy"
)

// TestRedaction: credentials and query values are redacted in flows by
// default, kept when the configuration says so, and never altered on
// their way to the server.
func TestRedaction(t *testing.T) {
	raw := "GET /cookie?user=alice&token=xyz&flag HTTP/1.1\r\nHost: web\r\n" +
		"Authorization: Bearer secret\r\nCookie: sid=1\r\nX-Request-Id: r1\r\n\r\n"
	cases := []struct {
		name         string
		cfg          Config
		url          string
		reqHeaders   []*flow.HTTPHeader
		setCookieOut string
	}{
		{
			name: "default",
			url:  "http://web/cookie?user=[REDACTED]&token=[REDACTED]&flag",
			reqHeaders: []*flow.HTTPHeader{
				{Key: "Authorization", Value: Redacted}, {Key: "Cookie", Value: Redacted},
				{Key: "X-Request-Id", Value: "r1"},
			},
			setCookieOut: Redacted,
		},
		{
			name: "keep list",
			cfg:  Config{KeepHeaders: []string{"cookie", "SET-COOKIE"}, KeepQuery: true},
			url:  "http://web/cookie?user=alice&token=xyz&flag",
			reqHeaders: []*flow.HTTPHeader{
				{Key: "Authorization", Value: Redacted}, {Key: "Cookie", Value: "sid=1"},
				{Key: "X-Request-Id", Value: "r1"},
			},
			setCookieOut: "session=abc",
		},
		{
			name: "no headers",
			cfg:  Config{OmitHeaders: true},
			url:  "http://web/cookie?user=[REDACTED]&token=[REDACTED]&flag",
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			b := newBackend(t)
			r := newRig(t, b.addr(), proxy.AllowAll(), tc.cfg)
			rc := dialRaw(t, r.addr)
			if resp, _ := rc.do(t, raw); resp.StatusCode != 200 || resp.Header.Get("Set-Cookie") != "session=abc" {
				t.Fatalf("got %d, Set-Cookie %q", resp.StatusCode, resp.Header.Get("Set-Cookie"))
			}
			got := r.flows.wait(t, 2)
			reqHTTP, respHTTP := got[0].GetL7().GetHttp(), got[1].GetL7().GetHttp()
			if reqHTTP.GetUrl() != tc.url || respHTTP.GetUrl() != tc.url {
				t.Errorf("urls %q, %q, want %q", reqHTTP.GetUrl(), respHTTP.GetUrl(), tc.url)
			}
			if d := cmp.Diff(reqHTTP.GetHeaders(), tc.reqHeaders, cmp.Comparer(func(a, b *flow.HTTPHeader) bool {
				return a.GetKey() == b.GetKey() && a.GetValue() == b.GetValue()
			})); d != "" {
				t.Errorf("request headers (-got +want):\n%s", d)
			}
			var setCookie string
			for _, h := range respHTTP.GetHeaders() {
				if h.GetKey() == "Set-Cookie" {
					setCookie = h.GetValue()
				}
			}
			if setCookie != tc.setCookieOut {
				t.Errorf("response Set-Cookie %q, want %q", setCookie, tc.setCookieOut)
			}
			seen := b.requests()[0].Header
			if seen.Get("Authorization") != "Bearer secret" || seen.Get("Cookie") != "sid=1" {
				t.Errorf("server got altered credentials: %v", seen)
			}
		})
	}
}

// TestTraceParent: a valid traceparent gets a span of the proxy's in both
// flows and is forwarded parented on it; an invalid or missing one is
// forwarded untouched and the flows carry no trace.
func TestTraceParent(t *testing.T) {
	const (
		traceID = "4bf92f3577b34da6a3ce929d0e0e4736"
		parent  = "00f067aa0ba902b7"
	)
	cases := []struct {
		name, header string
		valid        bool
	}{
		{"valid", "00-" + traceID + "-" + parent + "-01", true},
		{"upper case", "00-4BF92F3577B34DA6A3CE929D0E0E4736-" + parent + "-01", false},
		{"zero trace id", "00-00000000000000000000000000000000-" + parent + "-01", false},
		{"missing", "", false},
	}
	b := newBackend(t)
	r := newRig(t, b.addr(), proxy.AllowAll(), Config{})
	rc := dialRaw(t, r.addr)
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r.flows.reset()
			raw := "GET /t HTTP/1.1\r\nHost: web\r\n"
			if tc.header != "" {
				raw += "Traceparent: " + tc.header + "\r\n"
			}
			if resp, _ := rc.do(t, raw+"\r\n"); resp.StatusCode != 200 {
				t.Fatalf("got %d", resp.StatusCode)
			}
			got := r.flows.wait(t, 2)
			forwarded := b.requests()[i].Header.Get("Traceparent")
			if !tc.valid {
				if forwarded != tc.header {
					t.Errorf("forwarded %q, want it untouched %q", forwarded, tc.header)
				}
				for _, f := range got {
					if f.TraceContext != nil {
						t.Errorf("trace context %v on an untraced request", f.TraceContext)
					}
				}
				return
			}
			tc0 := got[0].GetTraceContext()
			if tc0.GetTraceId() != traceID || tc0.GetParentSpanId() != parent || len(tc0.GetSpanId()) != 16 || tc0.GetSpanId() == parent {
				t.Fatalf("trace context %v", tc0)
			}
			if got[1].GetTraceContext().GetSpanId() != tc0.GetSpanId() {
				t.Errorf("response span %v, want %v", got[1].GetTraceContext(), tc0)
			}
			if want := "00-" + traceID + "-" + tc0.GetSpanId() + "-01"; forwarded != want {
				t.Errorf("forwarded %q, want %q", forwarded, want)
			}
		})
	}
}
