package httpproxy

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/loupe-dev/loupe/api/flow"
	"github.com/loupe-dev/loupe/datapath/policy"
)

func TestSmoke(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "hello "+r.URL.Path)
	}))
	defer srv.Close()
	r := newRig(t, strings.TrimPrefix(srv.URL, "http://"), httpPolicy(t, "default/p", policy.HTTPRule{Method: "GET", Path: "/ok.*"}), Config{})
	tr := &http.Transport{}
	defer tr.CloseIdleConnections()
	c := &http.Client{Transport: tr}
	for _, tc := range []struct {
		path string
		code int
	}{{"/ok", 200}, {"/no", 403}, {"/ok2", 200}} {
		resp, err := c.Get("http://" + r.addr + tc.path)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tc.code {
			t.Fatalf("%s: %d %q", tc.path, resp.StatusCode, b)
		}
		t.Logf("%s: %d %q", tc.path, resp.StatusCode, b)
	}
	fl := r.flows.wait(t, 5)
	for _, f := range fl {
		t.Logf("%v %v %v %v", f.Verdict, f.L7.Type, f.L7.GetHttp(), f.L7.LatencyNs)
	}
	_ = flow.Verdict_DROPPED
}
