package main

import (
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/loupe-dev/loupe/api/flow"
	"github.com/loupe-dev/loupe/api/observer"
	"github.com/loupe-dev/loupe/query/sink"
	"github.com/loupe-dev/loupe/relay"
	relayobserver "github.com/loupe-dev/loupe/relay/observer"
	"github.com/loupe-dev/loupe/relay/peers"
)

// peerStates reports loupe_relay_peers{state} from the relay's node list on
// scrape; every state is always present, at 0 when no node is in it.
type peerStates struct{ nodes func() []peers.Node }

var peersDesc = prometheus.NewDesc("loupe_relay_peers", "Nodes the relay knows, by connection state.", []string{"state"}, nil)

func (p peerStates) Describe(ch chan<- *prometheus.Desc) { ch <- peersDesc }

func (p peerStates) Collect(ch chan<- prometheus.Metric) {
	counts := map[observer.NodeState]int{}
	for _, n := range p.nodes() {
		counts[n.State]++
	}
	for _, st := range []observer.NodeState{observer.NodeState_NODE_CONNECTED, observer.NodeState_NODE_UNAVAILABLE, observer.NodeState_NODE_GONE} {
		state := strings.ToLower(strings.TrimPrefix(st.String(), "NODE_"))
		ch <- prometheus.MustNewConstMetric(peersDesc, prometheus.GaugeValue, float64(counts[st]), state)
	}
}

// countingArchive counts the flows each node streams to the archive:
// every flow the relay receives, since the archive reads all of them.
type countingArchive struct {
	relay.Archive
	received *prometheus.CounterVec
}

func newCountingArchive(a relay.Archive, reg prometheus.Registerer) *countingArchive {
	c := &countingArchive{Archive: a, received: prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "loupe_relay_flows_received_total", Help: "Flows the relay received from each node for the archive.",
	}, []string{"node"})}
	reg.MustRegister(c.received)
	return c
}

func (c *countingArchive) Offer(node string, f *flow.Flow) {
	c.received.WithLabelValues(node).Inc()
	c.Archive.Offer(node, f)
}

// sinkStats exposes the ClickHouse sink's counters, read from Stats on
// scrape so nothing is counted twice.
type sinkStats struct{ s *sink.Sink }

var (
	sinkRowsDesc    = prometheus.NewDesc("loupe_clickhouse_rows_total", "Flows handed to the ClickHouse sink, by outcome.", []string{"outcome"}, nil)
	sinkBatchesDesc = prometheus.NewDesc("loupe_clickhouse_failed_batches_total", "ClickHouse inserts that failed for good.", nil, nil)
	sinkRetriesDesc = prometheus.NewDesc("loupe_clickhouse_retries_total", "ClickHouse inserts repeated after a failure.", nil, nil)
	sinkQueueDesc   = prometheus.NewDesc("loupe_clickhouse_queue_depth", "Flows waiting for ClickHouse.", nil, nil)
	sinkCapDesc     = prometheus.NewDesc("loupe_clickhouse_queue_capacity", "Flows the ClickHouse queue holds.", nil, nil)
	sinkLatencyDesc = prometheus.NewDesc("loupe_clickhouse_last_batch_duration_seconds", "Duration of the last successful ClickHouse insert.", nil, nil)
	sinkPendingDesc = prometheus.NewDesc("loupe_clickhouse_pending_rows", "Flows of the batch being built or written.", nil, nil)
	sinkAllDescs    = []*prometheus.Desc{sinkRowsDesc, sinkBatchesDesc, sinkRetriesDesc, sinkQueueDesc, sinkCapDesc, sinkLatencyDesc, sinkPendingDesc}
)

func (s sinkStats) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range sinkAllDescs {
		ch <- d
	}
}

func (s sinkStats) Collect(ch chan<- prometheus.Metric) {
	st := s.s.Stats()
	for outcome, n := range map[string]uint64{
		"received": st.Received, "written": st.Written, "duplicate": st.Duplicates,
		"dropped_queue_full": st.DroppedQueueFull, "dropped_at_stop": st.DroppedAtStop, "failed": st.DroppedFailed,
	} {
		ch <- prometheus.MustNewConstMetric(sinkRowsDesc, prometheus.CounterValue, float64(n), outcome)
	}
	ch <- prometheus.MustNewConstMetric(sinkBatchesDesc, prometheus.CounterValue, float64(st.FailedBatches))
	ch <- prometheus.MustNewConstMetric(sinkRetriesDesc, prometheus.CounterValue, float64(st.Retries))
	ch <- prometheus.MustNewConstMetric(sinkQueueDesc, prometheus.GaugeValue, float64(st.QueueDepth))
	ch <- prometheus.MustNewConstMetric(sinkCapDesc, prometheus.GaugeValue, float64(st.QueueCapacity))
	ch <- prometheus.MustNewConstMetric(sinkLatencyDesc, prometheus.GaugeValue, st.LastBatchLatency.Seconds())
	ch <- prometheus.MustNewConstMetric(sinkPendingDesc, prometheus.GaugeValue, float64(st.Pending))
}

// relayStats exposes the Observer API's counters, read on scrape.
type relayStats struct{ stats func() relayobserver.Stats }

var (
	flowsSentDesc = prometheus.NewDesc("loupe_relay_flows_sent_total", "Flows the relay sent to its clients, history included.", nil, nil)
	lateDesc      = prometheus.NewDesc("loupe_relay_sort_window_drops_total", "Flows dropped by the relay's sort window for arriving after newer ones went out.", nil, nil)
)

func (r relayStats) Describe(ch chan<- *prometheus.Desc) {
	ch <- flowsSentDesc
	ch <- lateDesc
}

func (r relayStats) Collect(ch chan<- prometheus.Metric) {
	st := r.stats()
	ch <- prometheus.MustNewConstMetric(flowsSentDesc, prometheus.CounterValue, float64(st.FlowsSent))
	ch <- prometheus.MustNewConstMetric(lateDesc, prometheus.CounterValue, float64(st.SortWindowDrops))
}

// newBatchLatency is the ClickHouse insert latency histogram, fed by the
// sink on every successful insert.
func newBatchLatency(reg prometheus.Registerer) func(time.Duration) {
	return durationHistogram(reg, prometheus.HistogramOpts{
		Name:    "loupe_clickhouse_batch_duration_seconds",
		Help:    "Duration of successful ClickHouse inserts.",
		Buckets: prometheus.ExponentialBuckets(0.001, 2, 15),
	})
}
