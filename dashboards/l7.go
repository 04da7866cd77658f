package dashboards

// DNS: queries, answers and errors seen by the L7 proxy, and DNS traffic
// at L4 for workloads without DNS visibility. The workload variables
// select the clients (the source of a query; L7 response metrics are
// counted with the client as source).
func DNS() Dashboard {
	b := newBoard("loupe-dns", "loupe / DNS",
		"DNS queries, responses by return code, answers by record type (L7 DNS visibility), and DNS traffic at L4.",
		PrometheusType, workloadVars()...)
	b.stat("Queries", "DNS queries per second from the selected clients.", "reqps",
		prom(`sum(`+rate("loupe_dns_queries_total", srcMatch)+`)`, "queries/s"))
	b.stat("Error share", "Responses with a return code other than NoError, as a share of responses.", "percentunit",
		prom(`(sum(`+rate("loupe_dns_responses_total", `rcode!="NoError"`, srcMatch)+`) or vector(0)) / sum(`+rate("loupe_dns_responses_total", srcMatch)+`)`, "errors"))
	b.stat("Answers per response", "Answer records per response.", "none",
		prom(`sum(`+rate("loupe_dns_response_types_total", srcMatch)+`) / sum(`+rate("loupe_dns_responses_total", srcMatch)+`)`, "answers"))
	b.stat("DNS over UDP/53", "Flows to port 53 at L4: seen with or without L7 visibility.", "ops",
		prom(`sum(`+rate("loupe_port_distribution_total", `port="53"`, srcMatch)+`)`, "flows/s"))

	b.row("Queries and responses")
	b.timeseries("Queries by type", "", "reqps",
		prom(`sum by (qtypes) (`+rate("loupe_dns_queries_total", srcMatch)+`)`, "{{qtypes}}"))
	b.stacked("Responses by return code", "", "reqps",
		prom(`sum by (rcode) (`+rate("loupe_dns_responses_total", srcMatch)+`)`, "{{rcode}}"))
	b.timeseries("Answers by record type", "Answer records (A, AAAA, CNAME, ...) per second, by the query's types.", "ops",
		prom(`sum by (type, qtypes) (`+rate("loupe_dns_response_types_total", srcMatch)+`)`, "{{type}} for {{qtypes}}"))
	b.timeseries("Errors by client", "Responses other than NoError, by client workload and return code.", "reqps",
		prom(`sum by (source, rcode) (`+rate("loupe_dns_responses_total", `rcode!="NoError"`, srcMatch)+`)`, "{{source}} {{rcode}}"))

	b.row("L4")
	b.timeseries("DNS flows by client", "UDP and TCP flows to port 53, by client workload.", "ops",
		prom(`sum by (source, protocol) (`+rate("loupe_port_distribution_total", `port="53"`, srcMatch)+`)`, "{{source}} {{protocol}}"))
	b.timeseries("DNS flows by server", "UDP and TCP flows to port 53, by server workload.", "ops",
		prom(`sum by (destination) (`+rate("loupe_port_distribution_total", `port="53"`, srcMatch)+`)`, "{{destination}}"))
	return b.dashboard()
}

// HTTP: the golden signals of HTTP services, from the L7 proxy. The
// workload variables select the servers (the destination of a request).
func HTTP() Dashboard {
	b := newBoard("loupe-http", "loupe / HTTP golden signals",
		"Traffic, errors, latency and saturation of HTTP services seen by the L7 proxy. Latency panels link to traces by exemplar.",
		PrometheusType, workloadVars()...)
	const errors5xx, errors4xx = `status=~"5.."`, `status=~"4.."`
	b.stat("Requests", "Requests per second served by the selected workloads.", "reqps",
		prom(`sum(`+rate("loupe_http_requests_total", dstMatch)+`)`, "req/s"))
	b.stat("5xx share", "Server errors as a share of responses.", "percentunit",
		prom(`(sum(`+rate("loupe_http_requests_total", errors5xx, dstMatch)+`) or vector(0)) / sum(`+rate("loupe_http_requests_total", dstMatch)+`)`, "5xx"))
	b.stat("p95 latency", "", "s",
		prom(`histogram_quantile(0.95, sum by (le) (`+rate("loupe_http_request_duration_seconds_bucket", dstMatch)+`))`, "p95"))
	b.stat("New connections", "TCP connections opened to the selected workloads per second (SYN).", "cps",
		prom(`sum(`+rate("loupe_tcp_flags_total", `flag="SYN"`, dstMatch)+`)`, "conn/s"))

	b.row("Traffic and errors")
	b.stacked("Requests by status", "", "reqps",
		prom(`sum by (status) (`+rate("loupe_http_requests_total", dstMatch)+`)`, "{{status}}"))
	b.timeseries("Error share by service", "4xx and 5xx responses as a share of each service's responses.", "percentunit",
		prom(`(sum by (destination) (`+rate("loupe_http_requests_total", errors5xx, dstMatch)+`) or sum by (destination) (`+rate("loupe_http_requests_total", dstMatch)+`) * 0) / sum by (destination) (`+rate("loupe_http_requests_total", dstMatch)+`)`, "{{destination}} 5xx"),
		prom(`(sum by (destination) (`+rate("loupe_http_requests_total", errors4xx, dstMatch)+`) or sum by (destination) (`+rate("loupe_http_requests_total", dstMatch)+`) * 0) / sum by (destination) (`+rate("loupe_http_requests_total", dstMatch)+`)`, "{{destination}} 4xx"))
	b.timeseries("Requests by service and method", "", "reqps",
		prom(`sum by (destination, method) (`+rate("loupe_http_requests_total", dstMatch)+`)`, "{{destination}} {{method}}"))
	b.timeseries("Requests by client", "", "reqps",
		prom(`topk(10, sum by (source, destination) (`+rate("loupe_http_requests_total", dstMatch)+`))`, "{{source}} → {{destination}}"))

	b.row("Latency and saturation")
	latency := func(q string) Target {
		t := prom(`histogram_quantile(`+q+`, sum by (le) (`+rate("loupe_http_request_duration_seconds_bucket", dstMatch)+`))`, "p"+q[2:])
		t.Exemplar = true
		return t
	}
	b.timeseries("Latency", "Percentiles over the selected services; the dots are exemplars carrying trace ids.", "s",
		latency("0.50"), latency("0.95"), latency("0.99"))
	b.timeseries("p95 latency by service", "", "s",
		prom(`histogram_quantile(0.95, sum by (destination, le) (`+rate("loupe_http_request_duration_seconds_bucket", dstMatch)+`))`, "{{destination}}"))
	b.timeseries("New connections by service", "TCP SYNs to each service: the connection load behind the requests.", "cps",
		prom(`sum by (destination) (`+rate("loupe_tcp_flags_total", `flag="SYN"`, dstMatch)+`)`, "{{destination}}"))
	b.timeseries("Requests by protocol", "HTTP versions spoken to the selected services.", "reqps",
		prom(`sum by (protocol) (`+rate("loupe_http_requests_total", dstMatch)+`)`, "{{protocol}}"))
	return b.dashboard()
}
