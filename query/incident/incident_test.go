package incident_test

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"
	"testing"
	"time"

	gocmp "github.com/google/go-cmp/cmp"

	"github.com/loupe-dev/loupe/query/incident"
	"github.com/loupe-dev/loupe/query/incident/incidenttest"
)

// testFlows span about ten minutes at incidenttest.Step apart.
const testFlows = 60000

// scope is one namespace/workload restriction the queries are checked
// under.
type scope struct{ name, namespace, workload string }

// TestQueriesMatchTheOracle inserts generated flows into a real ClickHouse
// and checks every query kind, every by, under several scopes, against the
// same figures computed in Go from the flows.
func TestQueriesMatchTheOracle(t *testing.T) {
	start := time.Unix(1_750_000_020, 0).Add(17 * time.Second)
	fx := incidenttest.New(t, testFlows, start)
	r := incident.New(fx.Store.Conn())
	// An unaligned window well inside the data: it is read as whole minutes.
	since, until := start.Add(90*time.Second), start.Add(8*time.Minute+20*time.Second)
	scopes := []scope{
		{name: "everything"},
		{name: "namespace with a quote", namespace: "o'brien"},
		{name: "workload named like an injection", workload: fx.Workloads[6].Name},
		{name: "namespace and workload", namespace: fx.Workloads[1].Namespace, workload: fx.Workloads[1].Name},
		{name: "injection matched literally", namespace: injection},
	}
	for _, sc := range scopes {
		o := oracle{flows: fx.Flows, window: roundWindow(since, until), namespace: sc.namespace, workload: sc.workload}
		p := incident.Params{Since: since, Until: until, Namespace: sc.namespace, Workload: sc.workload, Limit: incident.MaxLimit}
		t.Run(sc.name, func(t *testing.T) {
			t.Run("service-map", func(t *testing.T) { checkServiceMap(t, r, p, o) })
			for _, by := range []string{"workload", "namespace", "pair", "port"} {
				t.Run("top-talkers/"+by, func(t *testing.T) { checkTopTalkers(t, r, p, o, by) })
			}
			for _, by := range []string{"reason", "workload", "node", "namespace", "port"} {
				t.Run("drops/"+by, func(t *testing.T) { checkDrops(t, r, p, o, by) })
			}
			t.Run("dns-errors", func(t *testing.T) { checkDNSErrors(t, r, p, o) })
			for _, by := range []string{"service", "method", "code"} {
				t.Run("http/"+by, func(t *testing.T) { checkHTTP(t, r, p, o, by) })
			}
		})
	}
	if o := (oracle{flows: fx.Flows, window: roundWindow(since, until), namespace: injection}); len(o.edges()) != 0 {
		t.Fatalf("the oracle found flows in namespace %q: the literal-match check proves nothing", injection)
	}
	t.Run("limit", func(t *testing.T) { checkLimit(t, r, since, until) })
}

// injection is a namespace no flow has, whatever it does if spliced.
const injection = "x' OR 1=1 --"

// expectRows fails when the oracle has no rows where it should: an empty
// comparison proves nothing.
func (o oracle) expectRows(t *testing.T, n int) {
	t.Helper()
	if n == 0 && o.namespace != injection {
		t.Fatal("the oracle has no rows in this window and scope")
	}
}

func checkWindow(t *testing.T, got incident.Window, o oracle) {
	t.Helper()
	if got != o.window {
		t.Errorf("window %v, want %v", got, o.window)
	}
}

func checkServiceMap(t *testing.T, r *incident.Reader, p incident.Params, o oracle) {
	m, err := r.ServiceMap(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	checkWindow(t, m.Window, o)
	got := map[incident.Edge]incident.Edge{}
	for _, e := range m.Edges {
		k := incident.Edge{SrcNamespace: e.SrcNamespace, SrcService: e.SrcService, DstNamespace: e.DstNamespace,
			DstService: e.DstService, Protocol: e.Protocol, Port: e.Port}
		got[k] = e
	}
	o.expectRows(t, len(o.edges()))
	if diff := gocmp.Diff(got, o.edges()); diff != "" {
		t.Errorf("edges (-got +want):\n%s", diff)
	}
	if m.Truncated {
		t.Error("truncated under MaxLimit")
	}
	checkDescending(t, m.Edges, func(e incident.Edge) uint64 { return e.Flows })
	// Every service at an end of an edge is a node, with its totals.
	nodes := map[[2]string]incident.Node{}
	for _, e := range m.Edges {
		src, dst := nodes[[2]string{e.SrcNamespace, e.SrcService}], nodes[[2]string{e.DstNamespace, e.DstService}]
		src.Namespace, src.Service = e.SrcNamespace, e.SrcService
		src.FlowsOut, src.BytesOut, src.DroppedOut = src.FlowsOut+e.Flows, src.BytesOut+e.Bytes, src.DroppedOut+e.Dropped
		nodes[[2]string{e.SrcNamespace, e.SrcService}] = src
		dst = nodes[[2]string{e.DstNamespace, e.DstService}]
		dst.Namespace, dst.Service = e.DstNamespace, e.DstService
		dst.FlowsIn, dst.BytesIn, dst.DroppedIn = dst.FlowsIn+e.Flows, dst.BytesIn+e.Bytes, dst.DroppedIn+e.Dropped
		nodes[[2]string{e.DstNamespace, e.DstService}] = dst
	}
	wantNodes := make([]incident.Node, 0, len(nodes))
	for _, n := range nodes {
		wantNodes = append(wantNodes, n)
	}
	slices.SortFunc(wantNodes, func(a, b incident.Node) int {
		return cmp.Or(cmp.Compare(a.Namespace, b.Namespace), cmp.Compare(a.Service, b.Service))
	})
	if diff := gocmp.Diff(m.Nodes, wantNodes); diff != "" {
		t.Errorf("nodes (-got +want):\n%s", diff)
	}
}

func checkTopTalkers(t *testing.T, r *incident.Reader, p incident.Params, o oracle, by string) {
	p.By = by
	res, err := r.TopTalkers(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	checkWindow(t, res.Window, o)
	if res.By != by || res.Sort != "bytes" {
		t.Errorf("by %q sort %q, want %q bytes", res.By, res.Sort, by)
	}
	got := map[incident.Talker]incident.Talker{}
	for _, tk := range res.Talkers {
		got[incident.Talker{SrcNamespace: tk.SrcNamespace, SrcService: tk.SrcService, DstNamespace: tk.DstNamespace,
			DstService: tk.DstService, Protocol: tk.Protocol, Port: tk.Port}] = tk
	}
	o.expectRows(t, len(o.talkers(by)))
	if diff := gocmp.Diff(got, o.talkers(by)); diff != "" {
		t.Errorf("talkers (-got +want):\n%s", diff)
	}
	checkDescending(t, res.Talkers, func(tk incident.Talker) uint64 { return tk.Bytes })
}

func checkDrops(t *testing.T, r *incident.Reader, p incident.Params, o oracle, by string) {
	p.By = by
	res, err := r.Drops(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	checkWindow(t, res.Window, o)
	want, total := o.drops(by)
	o.expectRows(t, len(want))
	got := map[incident.DropRow]uint64{}
	for _, d := range res.Drops {
		if math.Abs(d.Share-float64(d.Flows)/float64(total)) > 1e-12 {
			t.Errorf("%+v: share %v, want %d/%d", d, d.Share, d.Flows, total)
		}
		got[incident.DropRow{Reason: d.Reason, Namespace: d.Namespace, Service: d.Service, Node: d.Node, Protocol: d.Protocol, Port: d.Port}] = d.Flows
	}
	if res.Total != total {
		t.Errorf("total %d, want %d", res.Total, total)
	}
	if diff := gocmp.Diff(got, want); diff != "" {
		t.Errorf("drops (-got +want):\n%s", diff)
	}
	checkDescending(t, res.Drops, func(d incident.DropRow) uint64 { return d.Flows })
}

func checkDNSErrors(t *testing.T, r *incident.Reader, p incident.Params, o oracle) {
	res, err := r.DNSErrors(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	checkWindow(t, res.Window, o)
	got := map[incident.DNSError]incident.DNSError{}
	for _, e := range res.Errors {
		got[incident.DNSError{Query: e.Query, Rcode: e.Rcode}] = e
	}
	o.expectRows(t, len(o.dnsErrors()))
	if diff := gocmp.Diff(got, o.dnsErrors()); diff != "" {
		t.Errorf("dns errors (-got +want):\n%s", diff)
	}
	checkDescending(t, res.Errors, func(e incident.DNSError) uint64 { return e.Count })
}

func checkHTTP(t *testing.T, r *incident.Reader, p incident.Params, o oracle, by string) {
	p.By = by
	res, err := r.HTTP(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	checkWindow(t, res.Window, o)
	want := o.http(by)
	o.expectRows(t, len(want))
	if len(res.Rows) != len(want) {
		t.Errorf("%d rows, want %d", len(res.Rows), len(want))
	}
	for _, row := range res.Rows {
		g := want[httpKey{row.Namespace, row.Service, row.Method, row.Code}]
		if g == nil {
			t.Errorf("unexpected row %+v", row)
			continue
		}
		w := g.row
		if row.Requests != w.Requests || row.Responses != w.Responses || row.Status4xx != w.Status4xx || row.Status5xx != w.Status5xx {
			t.Errorf("%s/%s/%s/%d: requests %d responses %d 4xx %d 5xx %d, want %d %d %d %d", row.Namespace, row.Service, row.Method, row.Code,
				row.Requests, row.Responses, row.Status4xx, row.Status5xx, w.Requests, w.Responses, w.Status4xx, w.Status5xx)
		}
		if w.Responses > 0 {
			if row.ErrorRate5xx != float64(w.Status5xx)/float64(w.Responses) || row.ErrorRate4xx != float64(w.Status4xx)/float64(w.Responses) {
				t.Errorf("%+v: error rates do not match the counts", row)
			}
		}
		for _, q := range []struct {
			level float64
			got   float64
		}{{0.5, row.LatencyP50Ms}, {0.95, row.LatencyP95Ms}, {0.99, row.LatencyP99Ms}} {
			if err := checkQuantile(q.got, q.level, g.latencies); err != nil {
				t.Errorf("%s/%s/%s/%d p%v: %v", row.Namespace, row.Service, row.Method, row.Code, q.level*100, err)
			}
		}
	}
}

// quantileTolerance is how far in rank a t-digest percentile may be from
// the exact one: a few percent, plus one sample's rank in small groups.
const quantileTolerance = 0.03

// checkQuantile checks that got is the level quantile of samples within
// the t-digest's rank error.
func checkQuantile(got, level float64, samples []float64) error {
	if len(samples) == 0 {
		if got != 0 {
			return errors.New("a percentile without responses")
		}
		return nil
	}
	s := slices.Clone(samples)
	sort.Float64s(s)
	n := float64(len(s))
	const eps = 1e-6 // float32 in the digest
	below := sort.SearchFloat64s(s, got*(1-eps))
	atOrBelow := sort.SearchFloat64s(s, got*(1+eps)+eps)
	lo, hi := float64(below)/n, float64(atOrBelow)/n
	tol := quantileTolerance + 1/n
	if level < lo-tol || level > hi+tol {
		return fmt.Errorf("%.3f ms is at rank %.3f..%.3f of %d samples, want %.2f ± %.3f", got, lo, hi, len(s), level, tol)
	}
	return nil
}

// checkDescending checks that rows come ranked by metric.
func checkDescending[T any](t *testing.T, rows []T, metric func(T) uint64) {
	t.Helper()
	for i := 1; i < len(rows); i++ {
		if metric(rows[i]) > metric(rows[i-1]) {
			t.Fatalf("row %d ranks above row %d: %+v > %+v", i, i-1, rows[i], rows[i-1])
		}
	}
}

// checkLimit checks that a limit keeps the first rows of the full answer
// and says that it cut.
func checkLimit(t *testing.T, r *incident.Reader, since, until time.Time) {
	ctx := context.Background()
	full, err := r.ServiceMap(ctx, incident.Params{Since: since, Until: until, Limit: incident.MaxLimit})
	if err != nil {
		t.Fatal(err)
	}
	cut, err := r.ServiceMap(ctx, incident.Params{Since: since, Until: until, Limit: 5})
	if err != nil {
		t.Fatal(err)
	}
	if !cut.Truncated || len(cut.Edges) != 5 {
		t.Fatalf("limit 5: %d edges, truncated %v", len(cut.Edges), cut.Truncated)
	}
	if diff := gocmp.Diff(cut.Edges, full.Edges[:5]); diff != "" {
		t.Errorf("limited edges (-got +want):\n%s", diff)
	}
}
