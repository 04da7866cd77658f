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

// benchBody is the size of the benchmark's responses, as in make bench.
var benchBody = strings.Repeat("x", 1024)

func benchServer(b *testing.B) *httptest.Server {
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, benchBody)
	}))
	var p http.Protocols
	p.SetHTTP1(true)
	p.SetUnencryptedHTTP2(true)
	srv.Config.Protocols = &p
	srv.Start()
	b.Cleanup(srv.Close)
	return srv
}

// benchGet runs GETs with keep-alive from parallel clients (one
// connection each) and reports requests per second.
func benchGet(b *testing.B, url string, h2 bool) {
	var p http.Protocols
	if h2 {
		p.SetUnencryptedHTTP2(true)
	} else {
		p.SetHTTP1(true)
	}
	tr := &http.Transport{Protocols: &p, MaxIdleConnsPerHost: 64}
	defer tr.CloseIdleConnections()
	c := &http.Client{Transport: tr}
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			resp, err := c.Get(url)
			if err != nil {
				b.Error(err)
				return
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 {
				b.Errorf("status %d", resp.StatusCode)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
}

func BenchmarkDirectHTTP1(b *testing.B) {
	srv := benchServer(b)
	benchGet(b, srv.URL+"/bench", false)
}

// BenchmarkProxyHTTP1 goes through the handler with a path rule to
// decide, flows emitted (and dropped) as in the agent.
func BenchmarkProxyHTTP1(b *testing.B) {
	srv := benchServer(b)
	r := newRig(b, strings.TrimPrefix(srv.URL, "http://"), httpPolicy(b, "default/bench", policy.HTTPRule{Method: "GET", Path: "/bench"}), Config{})
	r.h.emit = func(*flow.Flow) {}
	benchGet(b, "http://"+r.addr+"/bench", false)
}

func BenchmarkProxyHTTP2(b *testing.B) {
	srv := benchServer(b)
	r := newRig(b, strings.TrimPrefix(srv.URL, "http://"), httpPolicy(b, "default/bench", policy.HTTPRule{Method: "GET", Path: "/bench"}), Config{})
	r.h.emit = func(*flow.Flow) {}
	benchGet(b, "http://"+r.addr+"/bench", true)
}
