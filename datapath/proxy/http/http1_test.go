package httpproxy

import (
	"fmt"
	"strings"
	"testing"

	"github.com/loupe-dev/loupe/datapath/policy"
	"github.com/loupe-dev/loupe/datapath/proxy"
)

const webPolicy = "default/web"

func webRules(t testing.TB) *proxy.Policy {
	return httpPolicy(t, webPolicy,
		policy.HTTPRule{Method: "GET", Path: "/public/.*"},
		policy.HTTPRule{Method: "POST", Path: "/api/items", Headers: []string{"X-Token: s3cret"}},
		policy.HTTPRule{Host: `api\.example`, Path: "/host/.*"},
	)
}

// TestHTTP1KeepAlive sends allowed and denied requests on one keep-alive
// connection: each gets the server's answer or the proxy's 403, the
// connection stays open, the server sees only the allowed ones on one
// connection of its own, and every request yields its flows.
func TestHTTP1KeepAlive(t *testing.T) {
	b := newBackend(t)
	r := newRig(t, b.addr(), webRules(t), Config{})
	rc := dialRaw(t, r.addr)
	cases := []struct {
		name    string
		method  string
		path    string
		host    string
		header  string
		body    string
		allowed bool
	}{
		{"method and path allowed", "GET", "/public/a", "web", "", "", true},
		{"method denied", "DELETE", "/public/a", "web", "", "", false},
		{"path denied", "GET", "/private", "web", "", "", false},
		{"header allowed", "POST", "/api/items", "web", "X-Token: s3cret\r\n", "abc", true},
		{"header value denied", "POST", "/api/items", "web", "X-Token: wrong\r\n", "abcdef", false},
		{"header missing denied", "POST", "/api/items", "web", "", "", false},
		{"host allowed", "GET", "/host/x", "api.example", "", "", true},
		{"host denied", "GET", "/host/x", "other.example", "", "", false},
		{"allowed after denied", "GET", "/public/b", "web", "", "", true},
	}
	var allowed int
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r.flows.reset()
			raw := fmt.Sprintf("%s %s HTTP/1.1\r\nHost: %s\r\n%sContent-Length: %d\r\n\r\n%s", tc.method, tc.path, tc.host, tc.header, len(tc.body), tc.body)
			resp, body := rc.do(t, raw)
			want := wantExchange(tc.method, tc.path, "HTTP/1.1", 200, tc.allowed, webPolicy)
			if tc.allowed {
				allowed++
				if resp.StatusCode != 200 || body != fmt.Sprintf("ok %s %d", tc.path, len(tc.body)) {
					t.Errorf("got %d %q, want 200 from the server", resp.StatusCode, body)
				}
			} else if resp.StatusCode != 403 || body != "Access denied\n" || resp.Close {
				t.Errorf("got %d %q close=%v, want 403 Access denied, kept alive", resp.StatusCode, body, resp.Close)
			}
			got := r.flows.wait(t, len(want))
			diffFlows(t, got, want)
			checkLatency(t, got)
		})
	}
	if n := len(b.requests()); n != allowed {
		t.Errorf("server saw %d requests, want the %d allowed", n, allowed)
	}
	if n := b.remotes(); n != 1 {
		t.Errorf("server saw %d client connections, want 1", n)
	}
}

// TestHTTP1ServerClosesKeepAlive: a server that closes its connection
// after each response (without saying so) gets a new connection for
// each request; the client keeps its one.
func TestHTTP1ServerClosesKeepAlive(t *testing.T) {
	srv := newOneShotServer(t)
	r := newRig(t, srv.addr, proxy.AllowAll(), Config{})
	rc := dialRaw(t, r.addr)
	for i := range 3 {
		resp, body := rc.do(t, "GET /x HTTP/1.1\r\nHost: web\r\n\r\n")
		if resp.StatusCode != 200 || body != "ok" {
			t.Fatalf("request %d: got %d %q", i, resp.StatusCode, body)
		}
	}
	if n := srv.conns.Load(); n != 3 {
		t.Errorf("server saw %d connections, want 3", n)
	}
}

// TestHTTP1Bodies streams request bodies (Content-Length, chunked, with
// Expect: 100-continue) through, and drains a denied request's body so
// that the next request on the connection is read right.
func TestHTTP1Bodies(t *testing.T) {
	b := newBackend(t)
	r := newRig(t, b.addr(), webRules(t), Config{})
	rc := dialRaw(t, r.addr)
	big := strings.Repeat("x", 1<<20)

	chunked := "POST /api/items HTTP/1.1\r\nHost: web\r\nX-Token: s3cret\r\nTransfer-Encoding: chunked\r\n\r\n" +
		"5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"
	if resp, body := rc.do(t, chunked); resp.StatusCode != 200 || body != "ok /api/items 11" {
		t.Errorf("chunked: got %d %q", resp.StatusCode, body)
	}
	if resp, body := rc.do(t, "POST /api/items HTTP/1.1\r\nHost: web\r\nX-Token: s3cret\r\nContent-Length: "+fmt.Sprint(len(big))+"\r\n\r\n"+big); resp.StatusCode != 200 || body != fmt.Sprintf("ok /api/items %d", len(big)) {
		t.Errorf("1 MiB body: got %d %q", resp.StatusCode, body)
	}
	if resp, body := rc.do(t, "POST /api/items HTTP/1.1\r\nHost: web\r\nContent-Length: 5\r\n\r\nhello"); resp.StatusCode != 403 {
		t.Errorf("denied with body: got %d %q", resp.StatusCode, body)
	}

	// Expect: 100-continue: the body goes only after the 100.
	head := "POST /api/items HTTP/1.1\r\nHost: web\r\nX-Token: s3cret\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n"
	if _, err := rc.c.Write([]byte(head)); err != nil {
		t.Fatal(err)
	}
	line, err := rc.br.ReadString('\n')
	if err != nil || !strings.HasPrefix(line, "HTTP/1.1 100") {
		t.Fatalf("want 100 Continue, got %q %v", line, err)
	}
	if _, err := rc.br.ReadString('\n'); err != nil {
		t.Fatal(err)
	}
	if _, err := rc.c.Write([]byte("hello")); err != nil {
		t.Fatal(err)
	}
	if resp, body := rc.read(t); resp.StatusCode != 200 || body != "ok /api/items 5" {
		t.Errorf("expect-continue: got %d %q", resp.StatusCode, body)
	}
	if resp, _ := rc.do(t, "GET /public/after HTTP/1.1\r\nHost: web\r\n\r\n"); resp.StatusCode != 200 {
		t.Errorf("after bodies: got %d", resp.StatusCode)
	}
	if n := b.remotes(); n != 1 {
		t.Errorf("server saw %d client connections, want 1", n)
	}
}
