package lab

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

// TestHTTPChain: /chain/ calls on, nests, passes traceparent unchanged
// and answers with the downstream status.
func TestHTTPChain(t *testing.T) {
	topo := testTopology(t)
	var mu sync.Mutex
	var seen []string
	cart := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen = append(seen, r.Header.Get("Traceparent")+" "+r.URL.RequestURI())
		mu.Unlock()
		NewHTTPHandler(topo.Name, topo.Workload("shop/web")).ServeHTTP(rw, r)
	}))
	defer cart.Close()
	catalog := httptest.NewServer(NewHTTPHandler(topo.Name, topo.Workload("shop/web")))
	defer catalog.Close()
	host := func(s *httptest.Server) string { return strings.TrimPrefix(s.URL, "http://") }
	const tp = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"

	for _, tc := range []struct {
		path   string
		status int
		cart   string
	}{
		{"/chain/" + host(cart) + "/cart?x=1", 200, tp + " /cart?x=1"},
		{"/chain/" + host(catalog) + "/chain/" + host(cart) + "/status/503", 503, tp + " /status/503"},
		{"/chain/" + host(cart) + "/status/404", 404, tp + " /status/404"},
	} {
		seen = nil
		req, _ := http.NewRequest(http.MethodGet, catalog.URL+tc.path, nil)
		req.Header.Set("Traceparent", tp)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tc.status {
			t.Errorf("%s: status %d, want %d (the downstream's)", tc.path, resp.StatusCode, tc.status)
		}
		var r httpReply
		if err := json.Unmarshal(body, &r); err != nil || r.Downstream == nil || r.Downstream.Status != tc.status || r.Downstream.Bytes == 0 {
			t.Errorf("%s: reply %s (%v), want the downstream status and size", tc.path, body, err)
		}
		if len(seen) != 1 || seen[0] != tc.cart {
			t.Errorf("%s: cart saw %q, want one request %q (traceparent unchanged)", tc.path, seen, tc.cart)
		}
	}

	resp, err := http.Get(catalog.URL + "/chain/nohostport/x")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("/chain/ without host:port: status %d, want 400", resp.StatusCode)
	}
	resp, err = http.Get(catalog.URL + "/chain/127.0.0.1:1/x")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadGateway {
		t.Errorf("/chain/ to a closed port: status %d, want 502", resp.StatusCode)
	}
}
