package httpproxy

import (
	"strings"
	"testing"
	"time"

	"github.com/loupe-dev/loupe/api/flow"
)

// TestBadInput: a request the proxy cannot read is answered with an
// error and its connection closed, an ERROR flow says why, and the proxy
// serves the next connection.
func TestBadInput(t *testing.T) {
	b := newBackend(t)
	cfg := Config{HeaderTimeout: 300 * time.Millisecond, MaxHeaderBytes: 8 << 10}
	r := newRig(t, b.addr(), webRules(t), cfg)
	cases := []struct {
		name string
		raw  string
		code int
	}{
		{"malformed request line", "GARBAGE\r\n\r\n", 400},
		{"malformed header", "GET /public/a HTTP/1.1\r\nHost: web\r\nno colon here\r\n\r\n", 400},
		{"bad content length", "POST /api/items HTTP/1.1\r\nHost: web\r\nContent-Length: -5\r\n\r\n", 400},
		{"missing host", "GET /public/a HTTP/1.1\r\n\r\n", 400},
		{"oversized headers", "GET /public/a HTTP/1.1\r\nHost: web\r\nX-Big: " + strings.Repeat("a", 64<<10) + "\r\n\r\n", 431},
		// Headers never finished: the header timeout answers.
		{"slow headers", "GET /public/a HTTP/1.1\r\nHost: web\r\n", 408},
		{"silent client", "", 408},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r.flows.reset()
			rc := dialRaw(t, r.addr)
			resp, _ := rc.do(t, tc.raw)
			if resp.StatusCode != tc.code {
				t.Errorf("got %d, want %d", resp.StatusCode, tc.code)
			}
			rc.closed()
			got := r.flows.wait(t, 1)
			diffFlows(t, got, []flowSummary{{Verdict: flow.Verdict_ERROR, Type: flow.L7FlowType_REQUEST, Code: uint32(tc.code), Proto: "HTTP/1.1"}})

			// The proxy serves the next connection.
			next := dialRaw(t, r.addr)
			if resp, _ := next.do(t, "GET /public/next HTTP/1.1\r\nHost: web\r\n\r\n"); resp.StatusCode != 200 {
				t.Errorf("next connection: got %d", resp.StatusCode)
			}
		})
	}
}

// TestHTTP2BadInput: a client that breaks HTTP/2 after the preface gets
// its connection closed and an ERROR flow.
func TestHTTP2BadInput(t *testing.T) {
	b := newBackend(t)
	r := newRig(t, b.addr(), webRules(t), Config{})
	rc := dialRaw(t, r.addr)
	// The preface, then a DATA frame on stream 0, which is a connection
	// error (RFC 9113 6.1).
	raw := "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" +
		"\x00\x00\x00\x04\x00\x00\x00\x00\x00" + // empty SETTINGS
		"\x00\x00\x01\x00\x00\x00\x00\x00\x00x" // DATA on stream 0
	if _, err := rc.c.Write([]byte(raw)); err != nil {
		t.Fatal(err)
	}
	rc.closed() // after the server's SETTINGS and GOAWAY
	got := r.flows.wait(t, 1)
	diffFlows(t, got, []flowSummary{{Verdict: flow.Verdict_ERROR, Type: flow.L7FlowType_REQUEST, Code: 400, Proto: "HTTP/2"}})
}
