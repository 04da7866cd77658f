package incident

import (
	"context"
)

// TopTalkers ranks the sources of traffic in a window.
type TopTalkers struct {
	Window    Window   `json:"window"`
	By        string   `json:"by"`
	Sort      string   `json:"sort"`
	Talkers   []Talker `json:"talkers"`
	Truncated bool     `json:"truncated"`
}

// Talker is one row of TopTalkers. Which key fields are set depends on By:
// workload sets src_namespace and src_service, namespace src_namespace,
// pair both sides, port protocol and port. Like the service map, it counts
// the flows that open or carry a connection from its source, not replies.
type Talker struct {
	SrcNamespace string `json:"src_namespace" ch:"src_namespace"`
	SrcService   string `json:"src_service" ch:"src_service"`
	DstNamespace string `json:"dst_namespace" ch:"dst_namespace"`
	DstService   string `json:"dst_service" ch:"dst_service"`
	Protocol     string `json:"protocol" ch:"protocol"`
	Port         uint16 `json:"port" ch:"dst_port"`
	Flows        uint64 `json:"flows" ch:"n_flows"`
	Bytes        uint64 `json:"bytes" ch:"n_bytes"`
	Packets      uint64 `json:"packets" ch:"n_packets"`
	Dropped      uint64 `json:"dropped" ch:"n_dropped"`
}

// talkerDims maps each By of top-talkers to its grouping columns.
var talkerDims = map[string][]dimension{
	"workload":  {{"src_namespace", "src_namespace"}, {"src_service", "src_service"}},
	"namespace": {{"src_namespace", "src_namespace"}},
	"pair":      edgeDims[:4],
	"port":      {{"protocol", "protocol"}, {"dst_port", "dst_port"}},
}

// TopTalkers ranks sources, pairs or ports by bytes (or flows, with Sort
// "flows").
func (r *Reader) TopTalkers(ctx context.Context, p Params) (*TopTalkers, error) {
	p, err := p.resolve(topTalkersKind, r.now())
	if err != nil {
		return nil, err
	}
	q := newEdgesQuery(p)
	q.groupOn(talkerDims[p.By], sortOrder(p.Sort)...)
	q.columns = append(q.columns, "sum(flows) AS n_flows", "sum(bytes_total) AS n_bytes",
		"sum(packets_total) AS n_packets", "sumIf(flows, verdict = 'DROPPED') AS n_dropped")
	q.limit = p.Limit + 1
	t := &TopTalkers{Window: p.window(), By: p.By, Sort: p.Sort, Talkers: []Talker{}}
	if err := r.selectRows(ctx, "top talkers", &t.Talkers, q); err != nil {
		return nil, err
	}
	t.Talkers, t.Truncated = truncate(t.Talkers, p.Limit)
	return t, nil
}
