package incident

import (
	"context"
	"math"

	"github.com/loupe-dev/loupe/query/schema"
)

// HTTPStats are HTTP request counts, error shares and latency in a window.
type HTTPStats struct {
	Window    Window    `json:"window"`
	By        string    `json:"by"`
	Rows      []HTTPRow `json:"rows"`
	Truncated bool      `json:"truncated"`
}

// HTTPRow is one row of HTTPStats. Which key fields are set depends on By:
// service sets namespace and service (the server: the destination of a
// request, the source of a response), method method, code code. By code
// counts responses only: requests carry no status.
type HTTPRow struct {
	Namespace string `json:"namespace" ch:"namespace"`
	Service   string `json:"service" ch:"service"`
	Method    string `json:"method" ch:"http_method"`
	Code      uint16 `json:"code" ch:"http_code"`
	Requests  uint64 `json:"requests" ch:"n_requests"`
	Responses uint64 `json:"responses" ch:"n_responses"`
	Status4xx uint64 `json:"status_4xx" ch:"n_4xx"`
	Status5xx uint64 `json:"status_5xx" ch:"n_5xx"`
	// ErrorRate4xx and ErrorRate5xx are the shares of responses with a 4xx
	// and a 5xx status.
	ErrorRate4xx float64 `json:"error_rate_4xx"`
	ErrorRate5xx float64 `json:"error_rate_5xx"`
	// Latency percentiles of the responses in milliseconds, from the
	// rollup's t-digests (approximate); 0 without responses.
	LatencyP50Ms float64 `json:"latency_p50_ms"`
	LatencyP95Ms float64 `json:"latency_p95_ms"`
	LatencyP99Ms float64 `json:"latency_p99_ms"`
}

// httpScan is what a row is read into: the row and the percentiles in ns.
type httpScan struct {
	HTTPRow
	Latency []float32 `ch:"latency"`
}

// latencyQuantiles must be the levels of l7_1m's latency state.
const latencyQuantiles = "0.5, 0.95, 0.99"

const isResponse = "l7_type = 'RESPONSE'"

var httpDims = map[string][]dimension{
	"service": {
		{"if(" + isResponse + ", src_namespace, dst_namespace)", "namespace"},
		{"if(" + isResponse + ", src_service, dst_service)", "service"},
	},
	"method": {{"http_method", "http_method"}},
	"code":   {{"http_code", "http_code"}},
}

var httpCounts = []string{
	"countMergeIf(flows, l7_type = 'REQUEST') AS n_requests",
	"countMergeIf(flows, " + isResponse + ") AS n_responses",
	"countMergeIf(flows, " + isResponse + " AND http_code >= 400 AND http_code < 500) AS n_4xx",
	"countMergeIf(flows, " + isResponse + " AND http_code >= 500 AND http_code < 600) AS n_5xx",
	"quantilesTDigestMergeIf(" + latencyQuantiles + ")(latency, " + isResponse + ") AS latency",
}

// HTTP counts HTTP requests and responses by server service, method or
// status code, with error shares and latency percentiles; the busiest
// first.
func (r *Reader) HTTP(ctx context.Context, p Params) (*HTTPStats, error) {
	p, err := p.resolve(httpKind, r.now())
	if err != nil {
		return nil, err
	}
	q := newQuery(schema.L7Rollup.Table, p).where("l7_protocol = 'HTTP'")
	if p.By == "code" {
		q.where(isResponse)
	}
	q.groupOn(httpDims[p.By], "n_requests DESC", "n_responses DESC")
	q.columns = append(q.columns, httpCounts...)
	q.limit = p.Limit + 1
	var rows []httpScan
	if err := r.selectRows(ctx, "http", &rows, q); err != nil {
		return nil, err
	}
	h := &HTTPStats{Window: p.window(), By: p.By, Rows: make([]HTTPRow, 0, len(rows))}
	rows, h.Truncated = truncate(rows, p.Limit)
	for _, s := range rows {
		h.Rows = append(h.Rows, s.derive())
	}
	return h, nil
}

// derive fills the shares and the percentiles in milliseconds.
func (s httpScan) derive() HTTPRow {
	row := s.HTTPRow
	if row.Responses > 0 {
		row.ErrorRate4xx = float64(row.Status4xx) / float64(row.Responses)
		row.ErrorRate5xx = float64(row.Status5xx) / float64(row.Responses)
	}
	ms := func(i int) float64 {
		if i >= len(s.Latency) || row.Responses == 0 || math.IsNaN(float64(s.Latency[i])) {
			return 0
		}
		return float64(s.Latency[i]) / 1e6
	}
	row.LatencyP50Ms, row.LatencyP95Ms, row.LatencyP99Ms = ms(0), ms(1), ms(2)
	return row
}
