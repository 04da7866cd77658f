package ui_test

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/loupe-dev/loupe/api/flow"
	"github.com/loupe-dev/loupe/api/observer"
	"github.com/loupe-dev/loupe/ui"
	"github.com/loupe-dev/loupe/ui/live"
	"github.com/loupe-dev/loupe/ui/uitest"
)

func parse(text string) (allow, deny []*flow.FlowFilter, err error) {
	if text == "" {
		return nil, nil, nil
	}
	return nil, nil, errors.New("bad filter")
}

func newServer(t *testing.T, fake *uitest.Observer, queryAPI string) *httptest.Server {
	t.Helper()
	conn, err := grpc.NewClient("passthrough:///"+uitest.Serve(t, fake), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	s, err := ui.New(ui.Config{Observer: observer.NewObserverClient(conn), ParseFilter: parse, Live: live.DefaultConfig(), QueryAPI: queryAPI})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(s)
	t.Cleanup(func() { s.Stop(); srv.Close() })
	return srv
}

func get(t *testing.T, url string) (int, http.Header, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(b)
}

// TestServesAppAndAPI: the embedded app with a strict CSP, history from the
// Observer API, the query API proxied, and clear errors for bad input.
func TestServesAppAndAPI(t *testing.T) {
	now := time.Now()
	fake := &uitest.Observer{}
	for i := range 5 {
		fake.Flows = append(fake.Flows, uitest.Flow(now.Add(time.Duration(i)*time.Second), &flow.Endpoint{Workload: "a"}, &flow.Endpoint{Workload: "b"}, 1000, 80))
	}
	query := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, `{"path":"`+r.URL.Path+`","since":"`+r.URL.Query().Get("since")+`"}`)
	}))
	defer query.Close()
	srv := newServer(t, fake, query.URL)

	code, hdr, body := get(t, srv.URL+"/")
	if code != 200 || !strings.Contains(body, `src="app.js"`) {
		t.Fatalf("GET /: %d %q", code, body)
	}
	if csp := hdr.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") {
		t.Fatalf("CSP %q", csp)
	}
	for _, asset := range []string{"app.js", "layout.js", "app.css"} {
		if code, _, _ := get(t, srv.URL+"/"+asset); code != 200 {
			t.Fatalf("GET /%s: %d", asset, code)
		}
	}

	code, _, body = get(t, srv.URL+"/api/v1/flows?limit=2")
	var ans struct {
		Items []map[string]any `json:"items"`
	}
	if err := json.Unmarshal([]byte(body), &ans); code != 200 || err != nil || len(ans.Items) != 2 {
		t.Fatalf("flows: %d %v %s", code, err, body)
	}
	if code, _, body = get(t, srv.URL+"/api/v1/query/service-map?since=1h"); code != 200 || !strings.Contains(body, `"path":"/api/v1/query/service-map","since":"1h"`) {
		t.Fatalf("query proxy: %d %s", code, body)
	}
	for path, want := range map[string]string{
		"/api/v1/flows?filter=x":                                           "filter: bad filter",
		"/api/v1/flows?since=yesterday":                                    "since: want an RFC 3339 time",
		"/api/v1/flows?limit=0":                                            "limit: want 1 to 10000",
		"/api/v1/trace/connection?protocol=gopher":                         "protocol",
		"/api/v1/trace/connection?protocol=tcp&src_ip=1.2.3.4&dst_ip=nope": "dst_ip",
		"/api/v1/policy?namespace=a&workload=b":                            "no agent",
		"/api/v1/nope":                                                     "no such API",
	} {
		code, _, body := get(t, srv.URL+path)
		if code < 400 || !strings.Contains(body, want) {
			t.Errorf("%s: %d %s, want an error with %q", path, code, body, want)
		}
	}
	resp, err := http.Post(srv.URL+"/", "text/plain", strings.NewReader("x"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Fatalf("POST /: %d", resp.StatusCode)
	}
}
