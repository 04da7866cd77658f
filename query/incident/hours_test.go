package incident_test

import (
	"testing"
	"time"

	"github.com/loupe-dev/loupe/query/incident"
	"github.com/loupe-dev/loupe/query/incident/incidenttest"
)

// TestServiceMapAcrossHours: a window of several hours, unaligned, reads
// whole hours from the hourly rollup and the ends from the per-minute one,
// and still matches the oracle exactly.
func TestServiceMapAcrossHours(t *testing.T) {
	start := time.Unix(1_750_000_000, 0).Truncate(time.Hour).Add(37*time.Minute + 11*time.Second)
	fx := incidenttest.NewSpaced(t, 20000, start, 500*time.Millisecond) // about 2.8 h
	r := incident.New(fx.Store.Conn())
	since, until := start.Add(4*time.Minute+30*time.Second), fx.End.Add(-7*time.Minute)
	if until.Sub(since) < 2*time.Hour {
		t.Fatalf("the flows span %v: the test needs whole hours", until.Sub(since))
	}
	for _, sc := range []scope{{name: "everything"}, {name: "namespace", namespace: fx.Workloads[1].Namespace}} {
		o := oracle{flows: fx.Flows, window: roundWindow(since, until), namespace: sc.namespace}
		p := incident.Params{Since: since, Until: until, Namespace: sc.namespace, Limit: incident.MaxLimit}
		t.Run(sc.name+"/service-map", func(t *testing.T) { checkServiceMap(t, r, p, o) })
		t.Run(sc.name+"/top-talkers", func(t *testing.T) { checkTopTalkers(t, r, p, o, "pair") })
	}
	// Within one hour only the per-minute rollup is read.
	short := incident.Params{Since: since, Until: since.Add(20 * time.Minute), Limit: incident.MaxLimit}
	checkServiceMap(t, r, short, oracle{flows: fx.Flows, window: roundWindow(short.Since, short.Until)})
}
