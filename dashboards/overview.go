package dashboards

// NetworkOverview: how much flows, between whom, and what happens to it.
func NetworkOverview() Dashboard {
	b := newBoard("loupe-network-overview", "loupe / Network overview",
		"Flows seen by loupe's agents: rates by verdict and type, top sources and destinations, protocols and ports.",
		PrometheusType, workloadVars()...)
	b.stat("Flows", "Flows per second with the selected workloads on either side.", "ops",
		prom(`sum(`+either("loupe_flows_processed_total", "")+`)`, "flows/s"))
	b.stat("Drops", "Dropped flows per second with the selected workloads on either side.", "ops",
		prom(`sum(`+either("loupe_drop_total", "")+`)`, "drops/s"))
	b.stat("Nodes connected", "Nodes the relay streams from.", "none",
		prom(`sum(loupe_relay_peers{state="connected"})`, "connected"))
	b.stat("Lost events", "Events lost in the time range (kernel ring buffer full, decode errors). Should be 0.", "none",
		prom(`sum(increase(loupe_lost_events_total[$__range]))`, "lost"))

	b.row("Flows")
	b.stacked("Flows by verdict", "", "ops",
		prom(`sum by (verdict) (`+either("loupe_flows_processed_total", "")+`)`, "{{verdict}}"))
	b.timeseries("Flows by event type", "Trace, Drop, PolicyVerdict and L7 events, by observation point or L7 protocol.", "ops",
		prom(`sum by (type, subtype) (`+either("loupe_flows_processed_total", "")+`)`, "{{type}} {{subtype}}"))
	b.timeseries("Top sources", "The 10 source workloads with the most flows.", "ops",
		prom(`topk(10, sum by (source) (`+rate("loupe_flows_processed_total", srcMatch)+`))`, "{{source}}"))
	b.timeseries("Top destinations", "The 10 destination workloads with the most flows.", "ops",
		prom(`topk(10, sum by (destination) (`+rate("loupe_flows_processed_total", dstMatch)+`))`, "{{destination}}"))

	b.row("Protocols")
	b.timeseries("New connections by protocol and port", "Requests only (replies left out); ports above 1023 that the agent does not track count as \"other\".", "ops",
		prom(`sum by (protocol, port) (`+either("loupe_port_distribution_total", "")+`)`, "{{protocol}}/{{port}}"))
	b.timeseries("TCP flags", "", "ops",
		prom(`sum by (flag, family) (`+either("loupe_tcp_flags_total", "")+`)`, "{{flag}} {{family}}"))
	b.timeseries("ICMP", "", "ops",
		prom(`sum by (family, type) (`+either("loupe_icmp_total", "")+`)`, "{{family}} {{type}}"))
	b.timeseries("Flows by node", "Every flow each agent processed.", "ops",
		prom(`sum by (instance) (rate(loupe_flows_processed_total[$__rate_interval]))`, "{{instance}}"))
	return b.dashboard()
}

// DropsAndPolicy: what policy denies, why packets drop, and where.
func DropsAndPolicy() Dashboard {
	b := newBoard("loupe-drops-policy", "loupe / Drops and policy",
		"Dropped flows by reason, protocol and workload; policy verdicts by direction, match and action (audit included).",
		PrometheusType, workloadVars()...)
	const denied = `reason=~"POLICY_DENIED|POLICY_DENY"`
	b.stat("Drops", "Dropped flows per second, the selected workloads on either side.", "ops",
		prom(`sum(`+either("loupe_drop_total", "")+`)`, "drops/s"))
	b.stat("Denied by policy", "Drops because a deny rule matched (POLICY_DENY) or nothing allowed it (POLICY_DENIED).", "ops",
		prom(`sum(`+either("loupe_drop_total", denied)+`)`, "denied/s"))
	b.stat("Audit verdicts", "Flows that an audit-mode policy would have dropped, forwarded and reported.", "ops",
		prom(`sum(`+either("loupe_policy_verdicts_total", `action="audit"`)+`)`, "audit/s"))
	b.stat("Dropped share", "Dropped flows as a share of all flows.", "percentunit",
		prom(`sum(`+either("loupe_drop_total", "")+`) / sum(`+either("loupe_flows_processed_total", "")+`)`, "share"))

	b.row("Drops")
	b.stacked("Drops by reason", "", "ops",
		prom(`sum by (reason) (`+either("loupe_drop_total", "")+`)`, "{{reason}}"))
	b.timeseries("Drops by protocol", "", "ops",
		prom(`sum by (protocol) (`+either("loupe_drop_total", "")+`)`, "{{protocol}}"))
	b.timeseries("Drops by source workload", "The 10 sources with the most drops.", "ops",
		prom(`topk(10, sum by (source, reason) (`+rate("loupe_drop_total", srcMatch)+`))`, "{{source}} {{reason}}"))
	b.timeseries("Drops by destination workload", "The 10 destinations with the most drops.", "ops",
		prom(`topk(10, sum by (destination, reason) (`+rate("loupe_drop_total", dstMatch)+`))`, "{{destination}} {{reason}}"))

	b.row("Policy verdicts")
	b.stacked("Verdicts by action and direction", "", "ops",
		prom(`sum by (direction, action) (`+either("loupe_policy_verdicts_total", "")+`)`, "{{direction}} {{action}}"))
	b.timeseries("Verdicts by match type", "What part of a rule decided: none (default deny), l3-only, l3-l4, l4-only, all.", "ops",
		prom(`sum by (match, action) (`+either("loupe_policy_verdicts_total", "")+`)`, "{{match}} {{action}}"))
	b.table("Denied pairs", "Source and destination workloads with policy drops in the last 5 minutes.", 24,
		promTable(`sort_desc(sum by (source, destination, reason) (increase(`+sel("loupe_drop_total", denied, srcMatch)+`[5m]) or increase(`+sel("loupe_drop_total", denied, dstMatch)+`[5m]))) > 0`))
	return b.dashboard()
}
