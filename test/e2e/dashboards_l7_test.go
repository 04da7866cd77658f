package e2e

import (
	"regexp"
	"slices"
	"testing"

	"github.com/loupe-dev/loupe/dashboards"
)

// waitingOnL7 lists the dashboard panels ("uid: title") that only L7
// flows (HTTP and DNS from the L7 proxy) feed. Until l7Policies exists
// their queries are checked for validity only; once it does, they must
// return data like every other. The list is checked against the queries
// that read L7 metrics or tables, so it can neither hide a panel nor go
// stale.
var waitingOnL7 = []string{
	"loupe-dns: Queries",
	"loupe-dns: Error share",
	"loupe-dns: Answers per response",
	"loupe-dns: Queries by type",
	"loupe-dns: Responses by return code",
	"loupe-dns: Answers by record type",
	"loupe-dns: Errors by client",
	"loupe-http: Requests",
	"loupe-http: 5xx share",
	"loupe-http: p95 latency",
	"loupe-http: Requests by status",
	"loupe-http: Error share by service",
	"loupe-http: Requests by service and method",
	"loupe-http: Requests by client",
	"loupe-http: Latency",
	"loupe-http: p95 latency by service",
	"loupe-http: Requests by protocol",
	"loupe-history: DNS errors",
	"loupe-history: HTTP errors by service",
	"loupe-history: HTTP responses by status class",
	"loupe-history: HTTP latency",
}

// readsL7 matches the queries that read what only L7 flows produce.
var readsL7 = regexp.MustCompile(`loupe_(http|dns|kafka)_|\bl7_1m\b`)

func waitsOnL7(m *metricsRun, uid, panel string) bool {
	return !m.l7 && slices.Contains(waitingOnL7, uid+": "+panel)
}

// TestWaitingOnL7IsExact: a panel is in waitingOnL7 exactly when one of
// its queries reads L7 metrics or the l7_1m rollup.
func TestWaitingOnL7IsExact(t *testing.T) {
	reading := map[string]bool{}
	for _, ds := range []string{dashboards.PrometheusType, dashboards.ClickHouseType} {
		for _, d := range loadDashboards(t, ds) {
			for _, q := range dashboards.Queries(d) {
				if q.Variable == nil && readsL7.MatchString(q.Text) {
					reading[d.UID+": "+q.Panel] = true
				}
			}
		}
	}
	for p := range reading {
		if !slices.Contains(waitingOnL7, p) {
			t.Errorf("%s reads L7 data but is not in waitingOnL7", p)
		}
	}
	for _, p := range waitingOnL7 {
		if !reading[p] {
			t.Errorf("%s is in waitingOnL7 but reads no L7 data", p)
		}
	}
}

// logWaitingOnL7 says which panels a run could not prove for want of L7
// flows.
func logWaitingOnL7(t *testing.T, m *metricsRun) {
	if m.l7 {
		t.Logf("L7 policies applied (%s): every panel was required to return data", l7Policies)
		return
	}
	t.Logf("%s does not exist yet: %d panels (and exemplars) were checked for validity only, waiting on L7 flows: %v",
		l7Policies, len(waitingOnL7), waitingOnL7)
}
