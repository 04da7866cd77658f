package incident

import (
	"cmp"
	"context"
	"slices"
)

// ServiceMap is who talked to whom in a window.
type ServiceMap struct {
	Window Window `json:"window"`
	Edges  []Edge `json:"edges"`
	// Nodes are the services at either end of Edges.
	Nodes []Node `json:"nodes"`
	// Truncated says that more edges than the limit had traffic.
	Truncated bool `json:"truncated"`
}

// Edge is the traffic from one service to another on one protocol and
// destination port. Replies and L7 events are not counted: an edge points
// from the side that opened the connection.
type Edge struct {
	SrcNamespace string `json:"src_namespace" ch:"src_namespace"`
	SrcService   string `json:"src_service" ch:"src_service"`
	DstNamespace string `json:"dst_namespace" ch:"dst_namespace"`
	DstService   string `json:"dst_service" ch:"dst_service"`
	Protocol     string `json:"protocol" ch:"protocol"`
	Port         uint16 `json:"port" ch:"dst_port"`
	Flows        uint64 `json:"flows" ch:"n_flows"`
	Bytes        uint64 `json:"bytes" ch:"n_bytes"`
	Packets      uint64 `json:"packets" ch:"n_packets"`
	Forwarded    uint64 `json:"forwarded" ch:"n_forwarded"`
	Dropped      uint64 `json:"dropped" ch:"n_dropped"`
	Audit        uint64 `json:"audit" ch:"n_audit"`
	Redirected   uint64 `json:"redirected" ch:"n_redirected"`
	Error        uint64 `json:"error" ch:"n_error"`
}

// Node is one service of the map with its traffic in and out.
type Node struct {
	Namespace  string `json:"namespace"`
	Service    string `json:"service"`
	FlowsOut   uint64 `json:"flows_out"`
	FlowsIn    uint64 `json:"flows_in"`
	BytesOut   uint64 `json:"bytes_out"`
	BytesIn    uint64 `json:"bytes_in"`
	DroppedOut uint64 `json:"dropped_out"`
	DroppedIn  uint64 `json:"dropped_in"`
}

var edgeDims = []dimension{
	{"src_namespace", "src_namespace"}, {"src_service", "src_service"},
	{"dst_namespace", "dst_namespace"}, {"dst_service", "dst_service"},
	{"protocol", "protocol"}, {"dst_port", "dst_port"},
}

// verdictCounts are the per-verdict sums of a rollup's flows column.
var verdictCounts = []string{
	"sumIf(flows, verdict = 'FORWARDED') AS n_forwarded",
	"sumIf(flows, verdict = 'DROPPED') AS n_dropped",
	"sumIf(flows, verdict = 'AUDIT') AS n_audit",
	"sumIf(flows, verdict = 'REDIRECTED') AS n_redirected",
	"sumIf(flows, verdict = 'ERROR') AS n_error",
}

// ServiceMap reads the edges between services in the window, the busiest
// first (by flows, or bytes with Sort "bytes").
func (r *Reader) ServiceMap(ctx context.Context, p Params) (*ServiceMap, error) {
	p, err := p.resolve(serviceMapKind, r.now())
	if err != nil {
		return nil, err
	}
	q := newEdgesQuery(p)
	q.groupOn(edgeDims, sortOrder(p.Sort)...)
	q.columns = append(q.columns, "sum(flows) AS n_flows", "sum(bytes_total) AS n_bytes", "sum(packets_total) AS n_packets")
	q.columns = append(q.columns, verdictCounts...)
	q.limit = p.Limit + 1
	m := &ServiceMap{Window: p.window(), Edges: []Edge{}}
	if err := r.selectRows(ctx, "service map", &m.Edges, q); err != nil {
		return nil, err
	}
	m.Edges, m.Truncated = truncate(m.Edges, p.Limit)
	m.Nodes = nodesOf(m.Edges)
	return m, nil
}

// sortOrder ranks on the metric named, then on the other one.
func sortOrder(metric string) []string {
	if metric == "bytes" {
		return []string{"n_bytes DESC", "n_flows DESC"}
	}
	return []string{"n_flows DESC", "n_bytes DESC"}
}

func truncate[T any](rows []T, limit int) ([]T, bool) {
	if len(rows) > limit {
		return rows[:limit], true
	}
	return rows, false
}

// nodesOf lists the services at either end of the edges, sorted.
func nodesOf(edges []Edge) []Node {
	type key struct{ ns, svc string }
	nodes := map[key]*Node{}
	node := func(ns, svc string) *Node {
		k := key{ns, svc}
		if n := nodes[k]; n != nil {
			return n
		}
		n := &Node{Namespace: ns, Service: svc}
		nodes[k] = n
		return n
	}
	for _, e := range edges {
		src, dst := node(e.SrcNamespace, e.SrcService), node(e.DstNamespace, e.DstService)
		src.FlowsOut += e.Flows
		src.BytesOut += e.Bytes
		src.DroppedOut += e.Dropped
		dst.FlowsIn += e.Flows
		dst.BytesIn += e.Bytes
		dst.DroppedIn += e.Dropped
	}
	out := make([]Node, 0, len(nodes))
	for _, n := range nodes {
		out = append(out, *n)
	}
	slices.SortFunc(out, func(a, b Node) int {
		return cmp.Or(cmp.Compare(a.Namespace, b.Namespace), cmp.Compare(a.Service, b.Service))
	})
	return out
}
