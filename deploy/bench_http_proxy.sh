#!/usr/bin/env bash
# HTTP through the L7 proxy against the same server direct, in one run:
# added p50/p99 latency at a fixed 1k requests/s and at the maximum rate,
# and the proxy's CPU per 1k requests/s. Keep-alive, responses as the
# server sends them (1 KiB in make bench).
#
#   deploy/bench_http_proxy.sh DIRECT_URL PROXIED_URL [PROXY_PID]
#
# PROXY_PID is the process whose CPU is the proxy's (the agent); without
# it the CPU columns are left out. Environment: DURATION (s, default 10),
# CONNS (connections at 1k rps, default 10), MAXCONNS (at the maximum
# rate, default 50), HEY (the hey binary).
#
# The lab wires this to the real datapath; for the handler alone on
# loopback, run the two halves of datapath/proxy/http/internal/benchserve.
set -euo pipefail

direct=${1:?usage: $0 DIRECT_URL PROXIED_URL [PROXY_PID]}
proxied=${2:?usage: $0 DIRECT_URL PROXIED_URL [PROXY_PID]}
pid=${3:-}
duration=${DURATION:-10}
conns=${CONNS:-10}
maxconns=${MAXCONNS:-50}
hey=${HEY:-hey}

if ! command -v "$hey" >/dev/null; then
	apt-get install -y hey >/dev/null
fi
hz=$(getconf CLK_TCK)

# cpu_ticks PID: user+system clock ticks of a process so far.
cpu_ticks() {
	awk '{print $14 + $15}' "/proc/$1/stat"
}

# run NAME URL CONNS QPS_PER_CONN: one hey run; prints
# "name rps p50_ms p99_ms cores" (cores empty without a PID).
run() {
	local name=$1 url=$2 c=$3 q=$4 out t0 t1 rate=()
	if [ "$q" != 0 ]; then rate=(-q "$q"); fi
	[ -n "$pid" ] && t0=$(cpu_ticks "$pid")
	out=$("$hey" -z "${duration}s" -c "$c" "${rate[@]}" "$url")
	[ -n "$pid" ] && t1=$(cpu_ticks "$pid")
	local rps p50 p99 cores=""
	rps=$(awk '/Requests\/sec:/ {print $2}' <<<"$out")
	p50=$(awk '/ 50% in / {print $3 * 1000}' <<<"$out")
	p99=$(awk '/ 99% in / {print $3 * 1000}' <<<"$out")
	if [ -n "$pid" ]; then
		cores=$(awk -v d="$((t1 - t0))" -v hz="$hz" -v s="$duration" 'BEGIN {printf "%.3f", d / hz / s}')
	fi
	if grep -q 'Error distribution' <<<"$out"; then
		echo "warning: $name had errors:" >&2
		sed -n '/Error distribution/,$p' <<<"$out" >&2
	fi
	echo "$name $rps $p50 $p99 $cores"
}

per_conn=$(((1000 + conns - 1) / conns))
results=$(
	run direct-1k "$direct" "$conns" "$per_conn"
	run proxied-1k "$proxied" "$conns" "$per_conn"
	run direct-max "$direct" "$maxconns" 0
	run proxied-max "$proxied" "$maxconns" 0
)

awk -v haspid="$pid" '
{ rps[$1] = $2; p50[$1] = $3; p99[$1] = $4; cores[$1] = $5 }
END {
	printf "%-12s %10s %9s %9s %8s\n", "run", "req/s", "p50 ms", "p99 ms", "cores"
	n = split("direct-1k proxied-1k direct-max proxied-max", order, " ")
	for (i = 1; i <= n; i++) {
		k = order[i]
		printf "%-12s %10.0f %9.3f %9.3f %8s\n", k, rps[k], p50[k], p99[k], (haspid != "" && k ~ /proxied/) ? cores[k] : "-"
	}
	printf "\nadded by the proxy at 1k req/s:  p50 %+.3f ms  p99 %+.3f ms\n", p50["proxied-1k"] - p50["direct-1k"], p99["proxied-1k"] - p99["direct-1k"]
	printf "added by the proxy at max:       p50 %+.3f ms  p99 %+.3f ms  (%.0f vs %.0f req/s)\n", p50["proxied-max"] - p50["direct-max"], p99["proxied-max"] - p99["direct-max"], rps["proxied-max"], rps["direct-max"]
	if (haspid != "") {
		printf "proxy CPU per 1k req/s:          %.3f cores at 1k, %.3f cores at max\n", cores["proxied-1k"] / (rps["proxied-1k"] / 1000), cores["proxied-max"] / (rps["proxied-max"] / 1000)
	}
}' <<<"$results"
