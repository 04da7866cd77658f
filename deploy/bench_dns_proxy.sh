#!/usr/bin/env bash
# DNS queries/s through the L7 proxy against the same server directly, in
# one run: alternating rounds so that both see the same machine load.
#
#   deploy/bench_dns_proxy.sh DIRECT PROXIED [NAME]
#
# DIRECT is the server's host:port as the proxy forwards to it; PROXIED
# is an address whose queries the datapath redirects to the proxy (in the
# lab: the DNS server's address, queried from a workload under an L7 DNS
# rule, e.g. through `loupe lab exec`; set LOAD_PREFIX to that prefix).
# Env: NETS (default "udp tcp"), WORKERS (8), DURATION (5s), ROUNDS (3),
# LOAD_PREFIX (a command run before the load generator, e.g.
# "bin/loupe lab exec frontend --").
set -euo pipefail
cd "$(dirname "$0")/.."
if [ $# -lt 2 ]; then
	echo "usage: $0 DIRECT PROXIED [NAME]" >&2
	exit 2
fi
direct=$1 proxied=$2 name=${3:-example.com}
nets=${NETS:-udp tcp} workers=${WORKERS:-8} duration=${DURATION:-5s} rounds=${ROUNDS:-3}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
go build -o "$out/dnsload" ./datapath/proxy/dns/dnsload

echo "== DNS queries/s, direct vs through the proxy ($workers workers, $duration x $rounds rounds, name $name)"
for net in $nets; do
	for round in $(seq "$rounds"); do
		for side in direct proxied; do
			addr=$direct
			[ "$side" = proxied ] && addr=$proxied
			# shellcheck disable=SC2086
			line=$(${LOAD_PREFIX:-} "$out/dnsload" -server "$addr" -net "$net" -name "$name" -c "$workers" -d "$duration")
			echo "$net $side round=$round $line" | tee -a "$out/runs.txt"
		done
	done
done
awk '{
	key = $1 " " $2;
	for (i = 3; i <= NF; i++) { split($i, kv, "="); if (kv[1] == "qps") q[key] += kv[2]; if (kv[1] == "errors") e[key] += kv[2]; if (kv[1] == "p50_us") p[key] += kv[2] }
	n[key]++
} END {
	printf "%-5s %12s %12s %8s %14s %14s\n", "net", "direct q/s", "proxied q/s", "ratio", "p50 direct us", "p50 proxied us";
	split("udp tcp", nets, " ");
	for (k = 1; k <= 2; k++) {
		d = nets[k] " direct"; x = nets[k] " proxied";
		if (!(d in n)) continue;
		qd = q[d] / n[d]; qx = q[x] / n[x];
		printf "%-5s %12.0f %12.0f %8.2f %14.0f %14.0f   (errors: %d direct, %d proxied)\n", nets[k], qd, qx, (qd > 0 ? qx / qd : 0), p[d] / n[d], p[x] / n[x], e[d], e[x]
	}
}' "$out/runs.txt"
