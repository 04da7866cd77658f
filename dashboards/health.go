package dashboards

// Health: is every stage of the pipeline keeping up? Agents (ring buffer,
// flow ring, maps, policy) and the relay (peers, archive, ClickHouse).
// Scrape jobs are expected to be named loupe-agent and loupe-relay.
func Health() Dashboard {
	vars := append(workloadVars(), queryVar("instance", "Instance", `label_values(up{job=~"loupe-agent|loupe-relay"}, instance)`,
		"", ".*", "Agents and relays by scrape target."))
	b := newBoard("loupe-health", "loupe / Agent and relay health",
		"Every stage of loupe's pipeline: ring buffer reads and losses, flow ring, BPF maps, policy, endpoints; relay peers, flows, sort window and the ClickHouse sink.",
		PrometheusType, vars...)
	const inst = `instance=~"${instance}"`
	b.stat("Targets up", "Agents and relays Prometheus scrapes successfully.", "none",
		prom(`sum by (job) (up{job=~"loupe-agent|loupe-relay", `+inst+`})`, "{{job}}"))
	b.stat("Nodes unavailable", "Nodes the relay cannot reach. Should be 0.", "none",
		prom(`sum(loupe_relay_peers{state="unavailable", `+inst+`})`, "unavailable"))
	b.stat("Lost events", "Events lost in the time range, every source. Should be 0.", "none",
		prom(`sum(increase(loupe_lost_events_total{`+inst+`}[$__range]))`, "lost"))
	b.stat("ClickHouse rows dropped", "Flows the sink could not store in the time range (queue full, failed batches, at stop). Should be 0.", "none",
		prom(`sum(increase(loupe_clickhouse_rows_total{outcome=~"dropped_queue_full|failed|dropped_at_stop", `+inst+`}[$__range]))`, "dropped"))

	b.row("Agent: events")
	b.timeseries("Ring buffer records read", "Records the agent reads from the BPF ring buffer.", "ops",
		prom(`sum by (instance) (rate(loupe_ringbuf_events_read_total{`+inst+`}[$__rate_interval]))`, "{{instance}}"))
	b.timeseries("Lost events", "kernel_ring_buffer: the BPF ring buffer was full (raise --ring-buffer-size or aggregation); decode_error: records the agent could not decode.", "ops",
		prom(`sum by (instance, source) (rate(loupe_lost_events_total{`+inst+`}[$__rate_interval]))`, "{{instance}} {{source}}"))
	b.timeseries("Flow ring fill", "Flows held in the agent's flow ring, as a share of its capacity.", "percentunit",
		prom(`loupe_flow_ring_entries{`+inst+`} / loupe_flow_ring_capacity{`+inst+`}`, "{{instance}}"))
	b.timeseries("Flows processed by source workload", "", "ops",
		prom(`topk(10, sum by (source) (`+rate("loupe_flows_processed_total", srcMatch, inst)+`))`, "{{source}}"))

	b.row("Agent: datapath and policy")
	b.timeseries("BPF map fill", "Entries as a share of each map's capacity (counted at most every 30 s).", "percentunit",
		prom(`max by (instance, map) (loupe_bpf_map_entries{`+inst+`} / loupe_bpf_map_capacity{`+inst+`})`, "{{instance}} {{map}}"))
	b.timeseries("Endpoints and identities", "", "none",
		prom(`loupe_endpoints{`+inst+`}`, "{{instance}} endpoints"),
		prom(`loupe_identities{`+inst+`}`, "{{instance}} identities"))
	b.timeseries("Policy revision", "The installed revision: a step is an apply.", "none",
		prom(`loupe_policy_revision{`+inst+`}`, "{{instance}}"))
	b.timeseries("Policy apply latency (p99)", "Time to resolve and install a revision.", "s",
		prom(`histogram_quantile(0.99, sum by (instance, le) (rate(loupe_policy_apply_duration_seconds_bucket{`+inst+`}[$__range])))`, "{{instance}}"))
	b.timeseries("Metric series folded", "Observations folded into a metric's \"other\" series at the series cap (--metrics-series-cap).", "ops",
		prom(`sum by (instance, metric) (rate(loupe_metrics_series_folded_total{`+inst+`}[$__rate_interval]))`, "{{instance}} {{metric}}"))
	b.timeseries("CPU and memory", "", "percentunit",
		prom(`sum by (job, instance) (rate(process_cpu_seconds_total{job=~"loupe-agent|loupe-relay", `+inst+`}[$__rate_interval]))`, "{{instance}} CPU"))

	b.row("Relay")
	b.stacked("Nodes by state", "connected, unavailable (unreachable, retried) and gone (stopped cleanly).", "none",
		prom(`sum by (state) (loupe_relay_peers{`+inst+`})`, "{{state}}"))
	b.timeseries("Flows received by node", "Flows each node streams to the relay's archive.", "ops",
		prom(`sum by (node) (rate(loupe_relay_flows_received_total{`+inst+`}[$__rate_interval]))`, "{{node}}"))
	b.timeseries("Flows sent to clients", "", "ops",
		prom(`sum by (instance) (rate(loupe_relay_flows_sent_total{`+inst+`}[$__rate_interval]))`, "{{instance}}"))
	b.timeseries("Sort window drops", "Flows that arrived after newer ones went out; clients see RELAY_QUEUE lost events.", "ops",
		prom(`sum by (instance) (rate(loupe_relay_sort_window_drops_total{`+inst+`}[$__rate_interval]))`, "{{instance}}"))

	b.row("Relay: ClickHouse")
	b.stacked("Rows by outcome", "received, written, duplicate, dropped (queue full, at stop) and failed.", "ops",
		prom(`sum by (outcome) (rate(loupe_clickhouse_rows_total{`+inst+`}[$__rate_interval]))`, "{{outcome}}"))
	b.timeseries("Insert retries and failures", "Retries: inserts repeated while ClickHouse is unreachable or overloaded. Failed: batches dropped for good.", "ops",
		prom(`sum by (instance) (rate(loupe_clickhouse_retries_total{`+inst+`}[$__rate_interval]))`, "{{instance}} retries"),
		prom(`sum by (instance) (rate(loupe_clickhouse_failed_batches_total{`+inst+`}[$__rate_interval]))`, "{{instance}} failed"))
	b.timeseries("Queue fill", "Flows waiting for ClickHouse as a share of --store-queue; at 100% new flows are dropped.", "percentunit",
		prom(`loupe_clickhouse_queue_depth{`+inst+`} / loupe_clickhouse_queue_capacity{`+inst+`}`, "{{instance}}"))
	b.timeseries("Insert latency", "", "s",
		prom(`histogram_quantile(0.99, sum by (instance, le) (rate(loupe_clickhouse_batch_duration_seconds_bucket{`+inst+`}[$__rate_interval])))`, "{{instance}} p99"),
		prom(`loupe_clickhouse_last_batch_duration_seconds{`+inst+`}`, "{{instance}} last"))
	return b.dashboard()
}
