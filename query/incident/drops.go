package incident

import (
	"context"

	"github.com/loupe-dev/loupe/query/schema"
)

// Drops breaks down the dropped flows of a window.
type Drops struct {
	Window Window `json:"window"`
	By     string `json:"by"`
	// Total is every dropped flow in the window and scope, listed or not.
	Total     uint64    `json:"total"`
	Drops     []DropRow `json:"drops"`
	Truncated bool      `json:"truncated"`
}

// DropRow is one row of Drops. Which key fields are set depends on By:
// reason sets reason, node node, port protocol and port; workload and
// namespace name the side whose policy dropped the flow: the source for
// egress drops, else the destination.
type DropRow struct {
	Reason    string `json:"reason" ch:"drop_reason"`
	Namespace string `json:"namespace" ch:"namespace"`
	Service   string `json:"service" ch:"service"`
	Node      string `json:"node" ch:"node_name"`
	Protocol  string `json:"protocol" ch:"protocol"`
	Port      uint16 `json:"port" ch:"dst_port"`
	Flows     uint64 `json:"flows" ch:"n_flows"`
	// Share is Flows over Total.
	Share float64 `json:"share"`
}

var (
	enforcingNamespace = dimension{"if(traffic_direction = 'EGRESS', src_namespace, dst_namespace)", "namespace"}
	enforcingService   = dimension{"if(traffic_direction = 'EGRESS', src_service, dst_service)", "service"}
)

// dropDims maps each By of drops to its grouping columns.
var dropDims = map[string][]dimension{
	"reason":    {{"drop_reason", "drop_reason"}},
	"workload":  {enforcingNamespace, enforcingService},
	"node":      {{"node_name", "node_name"}},
	"namespace": {enforcingNamespace},
	"port":      {{"protocol", "protocol"}, {"dst_port", "dst_port"}},
}

// Drops counts dropped flows by reason, enforcing workload or namespace,
// node or port, the most first.
func (r *Reader) Drops(ctx context.Context, p Params) (*Drops, error) {
	p, err := p.resolve(dropsKind, r.now())
	if err != nil {
		return nil, err
	}
	q := newQuery(schema.DropsRollup.Table, p)
	q.groupOn(dropDims[p.By], "n_flows DESC")
	q.columns = append(q.columns, "sum(flows) AS n_flows")
	q.limit = p.Limit + 1
	d := &Drops{Window: p.window(), By: p.By, Drops: []DropRow{}}
	if err := r.selectRows(ctx, "drops", &d.Drops, q); err != nil {
		return nil, err
	}
	d.Drops, d.Truncated = truncate(d.Drops, p.Limit)

	total := newQuery(schema.DropsRollup.Table, p)
	total.columns = []string{"sum(flows) AS n_flows"}
	var sum []struct {
		N uint64 `ch:"n_flows"`
	}
	if err := r.selectRows(ctx, "drops total", &sum, total); err != nil {
		return nil, err
	}
	if len(sum) > 0 {
		d.Total = sum[0].N
	}
	for i := range d.Drops {
		if d.Total > 0 {
			d.Drops[i].Share = float64(d.Drops[i].Flows) / float64(d.Total)
		}
	}
	return d, nil
}
