package e2e

import (
	"cmp"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"testing"
	"time"

	"github.com/loupe-dev/loupe/api/flow"
	"github.com/loupe-dev/loupe/ui/uitest"
)

// syntheticMap is a cluster of workloads in namespaces of 25 and edges
// between them, the same every run.
type syntheticMap struct {
	workloads []*flow.Endpoint
	edges     [][3]int // source, destination, port
}

func newSyntheticMap(workloads, edges int) *syntheticMap {
	r := rand.New(rand.NewPCG(1, 2))
	m := &syntheticMap{}
	for i := range workloads {
		ns := fmt.Sprintf("ns-%02d", i/25)
		m.workloads = append(m.workloads, &flow.Endpoint{Id: uint32(i + 1), Identity: uint32(256 + i), Namespace: ns,
			Workload: fmt.Sprintf("svc-%03d", i), Labels: []string{"app=svc-" + fmt.Sprint(i), "loupe.namespace=" + ns}})
	}
	seen := map[[3]int]bool{}
	for len(m.edges) < edges {
		// Mostly within a namespace, some across: a realistic shape.
		src := r.IntN(workloads)
		dst := (src/25)*25 + r.IntN(25)
		if r.IntN(4) == 0 {
			dst = r.IntN(workloads)
		}
		e := [3]int{src, dst, []int{80, 443, 5432, 8080, 53}[r.IntN(5)]}
		if src == dst || seen[e] {
			continue
		}
		seen[e] = true
		m.edges = append(m.edges, e)
	}
	return m
}

// serveQueryAPI answers the service-map query with the synthetic map.
func (m *syntheticMap) serveQueryAPI(w http.ResponseWriter, _ *http.Request) {
	type edge struct {
		SrcNamespace string `json:"src_namespace"`
		SrcService   string `json:"src_service"`
		DstNamespace string `json:"dst_namespace"`
		DstService   string `json:"dst_service"`
		Protocol     string `json:"protocol"`
		Port         int    `json:"port"`
		Flows        int    `json:"flows"`
		Forwarded    int    `json:"forwarded"`
		Dropped      int    `json:"dropped"`
	}
	out := struct {
		Edges []edge `json:"edges"`
	}{}
	for i, e := range m.edges {
		s, d := m.workloads[e[0]], m.workloads[e[1]]
		x := edge{s.Namespace, s.Workload, d.Namespace, d.Workload, "tcp", e[2], 100 + i, 100 + i, 0}
		if i%50 == 0 {
			x.Forwarded, x.Dropped = 0, x.Flows
		}
		out.Edges = append(out.Edges, x)
	}
	_ = json.NewEncoder(w).Encode(out)
}

// flow is the i-th flow of the load: one of the map's edges.
func (m *syntheticMap) flow(i int) *flow.Flow {
	e := m.edges[(i*7919)%len(m.edges)]
	f := uitest.Flow(time.Now(), m.workloads[e[0]], m.workloads[e[1]], uint32(20000+i%40000), uint32(e[2]))
	if i%50 == 0 {
		f.Verdict, f.DropReason, f.EventType = flow.Verdict_DROPPED, flow.DropReason_POLICY_DENIED, flow.EventType_DROP
	}
	return f
}

// BenchmarkUI measures, in headless Chromium: a historical map of 500
// workloads and 2,000 edges (time to first render and to a stable layout),
// then 2,000 flows/s into the live page for LOUPE_UI_BENCH_SECONDS (60):
// the longest frame and the JS heap over time.
func BenchmarkUI(b *testing.B) {
	requireBrowser(b)
	m := newSyntheticMap(500, 2000)
	query := httptest.NewServer(http.HandlerFunc(m.serveQueryAPI))
	b.Cleanup(query.Close)
	fake := &uitest.Observer{Rate: 2000, Generate: m.flow}
	addr := uitest.Serve(b, fake)
	for range b.N {
		u := startUI(b, "--server", addr, "--query-api", query.URL, "--agent", "", "--client-rate", "5000")
		seconds := cmp.Or(os.Getenv("LOUPE_UI_BENCH_SECONDS"), "60")
		runBrowser(b, "bench.mjs", u.url, "--seconds", seconds)
	}
}
