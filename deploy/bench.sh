#!/usr/bin/env bash
# make bench: the figures the README reports, each next to a baseline
# measured in the same run. Needs root (BPF_PROG_TEST_RUN, namespaces).
set -euo pipefail
cd "$(dirname "$0")/.."
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

echo "== BPF program cost per packet (BPF_PROG_TEST_RUN, from-endpoint program)"
go test -run '^$' -bench TracePath -benchtime 2000000x -count 3 ./datapath/loader | tee "$out/bpf.txt" | grep Benchmark
awk '/BenchmarkTracePath\// {
	split($1, n, "/"); sub(/-[0-9]+$/, "", n[2]);
	for (i = 1; i <= NF; i++) if ($(i+1) == "ns/pkt") { sum[n[2]] += $i; cnt[n[2]]++ }
} END {
	base = sum["baseline"] / cnt["baseline"];
	printf "%-18s %10s %12s %10s\n", "case", "ns/pkt", "net of base", "x base";
	for (k in sum) if (k != "baseline") {
		v = sum[k] / cnt[k];
		printf "%-18s %10.1f %12.1f %10.2f\n", k, v, v - base, v / base
	}
	printf "%-18s %10.1f   (empty tc program: test-run harness cost)\n", "baseline", base
}' "$out/bpf.txt"

echo
echo "== Decoder and flow building (per core; baseline: ring write alone)"
go test -run '^$' -bench 'Decode|Trace|Write' -benchmem -count 3 ./collector/decoder ./collector/parser ./collector/ring | tee "$out/go.txt" | grep Benchmark
awk '/^Benchmark/ {
	name = $1; sub(/-[0-9]+$/, "", name);
	for (i = 1; i <= NF; i++) { if ($(i+1) == "ns/op") ns[name] += $i; if ($(i+1) == "allocs/op") al[name] = $i }
	cnt[name]++
} END {
	d = ns["BenchmarkDecode"] / cnt["BenchmarkDecode"]; p = ns["BenchmarkTrace"] / cnt["BenchmarkTrace"];
	w = ns["BenchmarkWrite"] / cnt["BenchmarkWrite"];
	printf "decode %.1f ns, build flow %.1f ns, ring write %.1f ns: %.0f events/s per core, %d allocation(s) per event\n",
		d, p, w, 1e9 / (d + p + w), al["BenchmarkDecode"] + al["BenchmarkTrace"] + al["BenchmarkWrite"];
	printf "decode+build / ring write alone: %.1fx\n", (d + p) / w
}' "$out/go.txt"

echo
echo "== Agent end to end: ping floods in the lab, one event per packet"
LOUPE_BIN=${LOUPE_BIN:-$PWD/bin/loupe} go test -run '^$' -bench AgentThroughput -benchtime 1x -timeout 5m ./test/e2e | grep -E 'Benchmark|ok|FAIL'

echo
echo "== Policy enforcement per packet (BPF_PROG_TEST_RUN, to-endpoint program; n identities and n rules)"
# new: a new connection's first packet (ipcache, policy, conntrack and
# flow-table entries, two events), each a distinct packet run once; the
# others repeat one packet in the kernel. Net of an empty program measured the
# same way in the same run.
go test -run '^$' -bench PolicyPath -benchtime 200000x ./datapath/maps | tee "$out/policy.txt" |
	grep -vE '^(goos|goarch|pkg|cpu|PASS|ok)' | grep -v '^Benchmark'

echo
echo "== Policy enforcement between lab workloads: none, iptables (10k rules), loupe (10k rules); apply time"
LOUPE_BIN=${LOUPE_BIN:-$PWD/bin/loupe} go test -run '^$' -bench PolicyVsIptables -benchtime 1x -timeout 15m ./test/e2e |
	tee "$out/policy-e2e.txt" | grep -vE '^(goos|goarch|pkg|cpu|PASS|ok)|^Benchmark'

echo
echo "== ClickHouse ingest: the relay's sink next to a raw native insert of the same rows; bytes per flow after merges"
# LOUPE_BENCH_SECONDS shortens the two 60 s ingest phases.
LOUPE_BENCH=1 go test -count=1 -run '^TestBenchIngest$' -v -timeout 20m ./query/sink | grep -E '^BENCH|FAIL'

echo
echo "== Incident queries on 100M stored flows (ClickHouse from Debian on this machine; LOUPE_BENCH_FLOWS scales it)"
# Generates the flows server-side (INSERT ... SELECT, about 10-20 min on 2
# CPUs), then times a 1 h raw-flows incident query and a 24 h service map.
LOUPE_BENCH=1 go test -run '^$' -bench IncidentQueries -benchtime 1x -timeout 180m ./query/incident | grep '^BENCH'

echo
echo "== Live latency: kernel event to the line in 'observe -f', through the relay (two nodes) and straight from the agent"
LOUPE_BIN=${LOUPE_BIN:-$PWD/bin/loupe} go test -run '^$' -bench LiveLatency -benchtime 1x -timeout 5m ./test/e2e | grep -E '^Benchmark|FAIL'

echo
echo "== Flow metrics cost: the collector's per-flow path (decode, parse, metrics, ring) with every family on vs off"
go test -run '^$' -bench 'HandleMetrics|Observe' -benchmem -count 3 ./collector ./collector/metrics | grep Benchmark

echo
echo "== Flow metrics cost end to end: agent CPU per event under ping load, every family on (contexts on flows and drops) vs off, same run"
LOUPE_BIN=${LOUPE_BIN:-$PWD/bin/loupe} go test -run '^$' -bench AgentMetricsCPU -benchtime 1x -timeout 8m ./test/e2e | grep -E '^Benchmark|^BENCH|FAIL'

echo
echo "== Web UI in headless Chromium: a 500-workload, 2,000-edge map (aim: stable layout <= 2 s), then 2,000 flows/s for 60 s (aim: longest frame <= 100 ms, heap flat)"
# Needs the UI's npm packages (make ui-deps) and Debian's chromium.
# LOUPE_UI_BENCH_SECONDS shortens the flood.
LOUPE_BIN=${LOUPE_BIN:-$PWD/bin/loupe} go test -run '^$' -bench '^BenchmarkUI$' -benchtime 1x -timeout 5m ./test/e2e | grep -E 'BENCH |FAIL'

echo
echo "== L7 proxy in the lab: HTTP (hey, keep-alive, 1 KiB) at 1k requests/s and at the maximum rate, DNS queries/s, direct vs through the proxy, same run"
# Direct: shop.yaml (L3/L4 only); proxied: shop-l7.yaml on top. The proxy's
# CPU is the agent's in the proxied run minus the direct run's.
# LOUPE_BENCH_SECONDS sets each phase (default 10 s).
LOUPE_BIN=${LOUPE_BIN:-$PWD/bin/loupe} go test -run '^$' -bench '^BenchmarkL7Proxy$' -benchtime 1x -timeout 10m ./test/e2e | grep -E 'BENCH |FAIL'
go test -run '^$' -bench 'Proxy|Direct' -benchmem ./datapath/proxy/http | grep -E '^Benchmark'
