package httpapi

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	gocmp "github.com/google/go-cmp/cmp"

	"github.com/loupe-dev/loupe/query/incident"
	"github.com/loupe-dev/loupe/query/incident/incidenttest"
	"github.com/loupe-dev/loupe/query/store"
)

// get requests path from h and decodes the JSON answer into out.
func get(t *testing.T, h http.Handler, method, path string, out any) *http.Response {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(method, path, nil))
	res := rec.Result()
	if ct := res.Header.Get("Content-Type"); ct != "application/json" {
		t.Fatalf("%s %s: content type %q", method, path, ct)
	}
	if err := json.NewDecoder(res.Body).Decode(out); err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	return res
}

func TestAPI(t *testing.T) {
	// Flows from 12 to about 2 minutes ago, so that relative windows see
	// them all.
	start := time.Now().Add(-12 * time.Minute).Truncate(time.Second)
	fx := incidenttest.New(t, 60000, start)
	h := New(fx.Store, nil)
	reader := incident.New(fx.Store.Conn())
	since, until := start.Format(time.RFC3339), start.Add(11*time.Minute).Format(time.RFC3339)

	t.Run("kinds", func(t *testing.T) {
		var list kindList
		if res := get(t, h, "GET", "/api/v1/query", &list); res.StatusCode != 200 {
			t.Fatalf("status %d", res.StatusCode)
		}
		if diff := gocmp.Diff(list.Kinds, incident.Kinds); diff != "" {
			t.Errorf("kinds (-got +want):\n%s", diff)
		}
	})

	// Each kind answers what the reader answers, as JSON.
	results := map[string]func() any{
		"service-map": func() any { return &incident.ServiceMap{} },
		"top-talkers": func() any { return &incident.TopTalkers{} },
		"drops":       func() any { return &incident.Drops{} },
		"dns-errors":  func() any { return &incident.DNSErrors{} },
		"http":        func() any { return &incident.HTTPStats{} },
	}
	for _, k := range incident.Kinds {
		t.Run(k.Name, func(t *testing.T) {
			bys := k.By
			if len(bys) == 0 {
				bys = []string{""}
			}
			for _, by := range bys {
				q := url.Values{"since": {since}, "until": {until}, "namespace": {"o'brien"}, "limit": {"50"}}
				if by != "" {
					q.Set("by", by)
				}
				got := results[k.Name]()
				if res := get(t, h, "GET", "/api/v1/query/"+k.Name+"?"+q.Encode(), got); res.StatusCode != 200 {
					t.Fatalf("by %q: status %d: %+v", by, res.StatusCode, got)
				}
				s, _ := time.Parse(time.RFC3339, since)
				u, _ := time.Parse(time.RFC3339, until)
				want, err := reader.Run(context.Background(), k.Name, incident.Params{Since: s, Until: u, Namespace: "o'brien", By: by, Limit: 50})
				if err != nil {
					t.Fatal(err)
				}
				if diff := gocmp.Diff(got, want); diff != "" {
					t.Errorf("by %q (-api +reader):\n%s", by, diff)
				}
			}
		})
	}

	t.Run("relative window", func(t *testing.T) {
		var m incident.ServiceMap
		if res := get(t, h, "GET", "/api/v1/query/service-map?since=1h", &m); res.StatusCode != 200 {
			t.Fatalf("status %d", res.StatusCode)
		}
		if len(m.Edges) == 0 {
			t.Error("no edges in the last hour")
		}
		if d := time.Since(m.Window.Until); d < -time.Minute || d > time.Minute {
			t.Errorf("window ends %v, want now", m.Window.Until)
		}
	})

	t.Run("namespace injection matched literally", func(t *testing.T) {
		var m incident.ServiceMap
		q := url.Values{"since": {"1h"}, "namespace": {"x' OR 1=1 --"}}
		if res := get(t, h, "GET", "/api/v1/query/service-map?"+q.Encode(), &m); res.StatusCode != 200 {
			t.Fatalf("status %d", res.StatusCode)
		}
		if len(m.Edges) != 0 {
			t.Errorf("%d edges in a namespace no flow has", len(m.Edges))
		}
	})

	t.Run("bad input", func(t *testing.T) { checkBadInput(t, h, fx.Store) })

	t.Run("methods and paths", func(t *testing.T) {
		var e errorBody
		if res := get(t, h, "POST", "/api/v1/query/drops", &e); res.StatusCode != http.StatusMethodNotAllowed || e.Error == "" {
			t.Errorf("POST: %d %+v", res.StatusCode, e)
		}
		if res := get(t, h, "GET", "/api/v1/nothing", &e); res.StatusCode != http.StatusNotFound || e.Error == "" {
			t.Errorf("unknown path: %d %+v", res.StatusCode, e)
		}
	})

	t.Run("timeout", func(t *testing.T) {
		slow := newHandler(reader, nil, time.Nanosecond)
		var e errorBody
		res := get(t, slow, "GET", "/api/v1/query/service-map?since=1h", &e)
		if res.StatusCode != http.StatusInternalServerError || !strings.Contains(e.Error, "timed out") {
			t.Errorf("%d %+v, want 500 timed out", res.StatusCode, e)
		}
	})

	t.Run("database down", func(t *testing.T) {
		var e errorBody
		fx.Store.Close()
		res := get(t, h, "GET", "/api/v1/query/drops?since=1h", &e)
		if res.StatusCode != http.StatusInternalServerError || e.Error == "" || e.Param != "" {
			t.Errorf("%d %+v, want 500", res.StatusCode, e)
		}
	})
}

// checkBadInput sends requests that must be refused with 400 naming the
// parameter, and checks that the flows are still there afterwards.
func checkBadInput(t *testing.T, h http.Handler, s *store.Store) {
	count := func() uint64 {
		var n []struct {
			C uint64 `ch:"c"`
		}
		if err := s.Conn().Select(context.Background(), &n, "SELECT count() AS c FROM flows"); err != nil {
			t.Fatal(err)
		}
		return n[0].C
	}
	before := count()
	for _, c := range []struct {
		path, param string
	}{
		{"/api/v1/query/service-map?since=yesterdayish", "since"},
		{"/api/v1/query/service-map?since=2026-13-01T00:00:00Z", "since"},
		{"/api/v1/query/service-map?until=-5m", "until"},
		{"/api/v1/query/service-map?since=5m&until=1h", "since"},
		{"/api/v1/query/flows", "kind"},
		{"/api/v1/query/top-talkers?by=" + url.QueryEscape("workload; DROP TABLE flows"), "by"},
		{"/api/v1/query/drops?by=" + url.QueryEscape("reason) OR (1=1"), "by"},
		{"/api/v1/query/top-talkers?sort=packets", "sort"},
		{"/api/v1/query/drops?limit=0", "limit"},
		{"/api/v1/query/drops?limit=10001", "limit"},
		{"/api/v1/query/drops?limit=ten", "limit"},
		{"/api/v1/query/drops?namspace=shop", "namspace"},
		{"/api/v1/query/drops?by=reason&by=node", "by"},
	} {
		var e errorBody
		res := get(t, h, "GET", c.path, &e)
		if res.StatusCode != http.StatusBadRequest || e.Param != c.param || !strings.Contains(e.Error, c.param) {
			t.Errorf("%s: %d %+v, want 400 naming %s", c.path, res.StatusCode, e, c.param)
		}
	}
	if after := count(); after != before {
		t.Errorf("flows %d before bad input, %d after", before, after)
	}
}
