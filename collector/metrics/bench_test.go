package metrics

import (
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/loupe-dev/loupe/api/flow"
	"github.com/loupe-dev/loupe/internal/flowgen"
)

// BenchmarkObserve is the per-flow cost of every family over a mix of L3/L4
// and L7 flows from 50 workloads.
func BenchmarkObserve(b *testing.B) {
	for _, bc := range []struct{ name, specs string }{
		{"NoContexts", DefaultSpecs},
		{"Contexts", "flow:sourceContext=workload;destinationContext=workload,drop:sourceContext=namespace;destinationContext=identity,policy:sourceContext=app,tcp,icmp,port-distribution,dns,http,kafka"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			m, _ := newTestMetrics(b, bc.specs, 1000)
			g := flowgen.New(1, 50, []string{"n1"}, time.Unix(0, 0), time.Millisecond)
			flows := make([]*flow.Flow, 4096)
			for i := range flows {
				flows[i] = g.Next()
			}
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				m.Observe(flows[i&4095])
				i++
			}
		})
	}
}

// TestCacheKeepsCountsExact: the cache in front of the series map must not
// mix series up, whatever collides in it.
func TestCacheKeepsCountsExact(t *testing.T) {
	m, reg := newTestMetrics(t, "flow:sourceContext=workload;destinationContext=identity", 2000)
	eps := workloads(700)
	for range 3 {
		for i, ep := range eps {
			f := traceFrom(ep)
			f.Destination = eps[(i*7)%len(eps)]
			m.Observe(f)
		}
	}
	if n, _ := testutil.GatherAndCount(reg, "loupe_flows_processed_total"); n != 700 {
		t.Fatalf("%d series, want 700", n)
	}
	for k, s := range m.flows.series {
		if v := testutil.ToFloat64(s.counter); v != 3 {
			t.Fatalf("series %v = %v, want 3", k, v)
		}
	}
}
