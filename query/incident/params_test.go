package incident_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/loupe-dev/loupe/query/incident"
)

// TestBadParamsAreRefusedBeforeTheDatabase runs queries on a reader with
// no database: every one must be refused as invalid, naming the parameter.
func TestBadParamsAreRefusedBeforeTheDatabase(t *testing.T) {
	r := incident.New(nil)
	now := time.Now()
	for _, c := range []struct {
		kind  string
		p     incident.Params
		param string
	}{
		{"nope", incident.Params{}, "kind"},
		{"top-talkers", incident.Params{By: "workload; DROP TABLE flows"}, "by"},
		{"top-talkers", incident.Params{By: "reason"}, "by"},
		{"dns-errors", incident.Params{By: "query"}, "by"},
		{"service-map", incident.Params{Sort: "packets"}, "sort"},
		{"drops", incident.Params{Sort: "bytes"}, "sort"},
		{"http", incident.Params{Limit: -1}, "limit"},
		{"http", incident.Params{Limit: incident.MaxLimit + 1}, "limit"},
		{"drops", incident.Params{Since: now, Until: now.Add(-time.Hour)}, "since"},
		{"drops", incident.Params{Since: now, Until: now}, "since"},
		{"drops", incident.Params{Namespace: strings.Repeat("n", incident.MaxScopeLen+1)}, "namespace"},
	} {
		_, err := r.Run(context.Background(), c.kind, c.p)
		var pe *incident.ParamError
		if !errors.Is(err, incident.ErrInvalid) || !errors.As(err, &pe) || pe.Param != c.param {
			t.Errorf("%s %+v: %v, want an invalid %s", c.kind, c.p, err, c.param)
		}
	}
}

func TestKindsAreListedOnceWithTheirDefaults(t *testing.T) {
	seen := map[string]bool{}
	for _, k := range incident.Kinds {
		if seen[k.Name] {
			t.Errorf("kind %s listed twice", k.Name)
		}
		seen[k.Name] = true
		if k.DefaultLimit < 1 || k.DefaultLimit > incident.MaxLimit {
			t.Errorf("%s: default limit %d", k.Name, k.DefaultLimit)
		}
		if (len(k.By) == 0) != (k.DefaultBy == "") {
			t.Errorf("%s: by %v, default %q", k.Name, k.By, k.DefaultBy)
		}
	}
	for _, name := range []string{"service-map", "top-talkers", "drops", "dns-errors", "http"} {
		if !seen[name] {
			t.Errorf("kind %s missing", name)
		}
	}
}
