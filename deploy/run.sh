#!/usr/bin/env bash
# make run: ClickHouse, the agent, the relay, the demo lab and live traffic
# on this machine. Ctrl-C stops the traffic, removes the lab and stops the rest.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${LOUPE_BIN:-$PWD/bin/loupe}
LOG_DIR=/var/run/loupe
TOPOLOGY=${TOPOLOGY:-deploy/lab/demo.yaml}
LAB=$(awk '/^name:/ {print $2; exit}' "$TOPOLOGY")
NODE=${NODE:-$(hostname -s)}
# ClickHouse from Debian's package, on loopback, with loupe's own config and
# data directory (kept across runs: history survives a restart).
CH_DIR=${CH_DIR:-/var/lib/loupe/clickhouse}
CH_TCP_PORT=${CH_TCP_PORT:-9000}
CH_HTTP_PORT=${CH_HTTP_PORT:-8123}

if [ "$(id -u)" != 0 ]; then
	echo "make run needs root (BPF, network namespaces): sudo make run" >&2
	exit 2
fi
mkdir -p "$LOG_DIR"

cleanup() {
	trap - EXIT INT TERM
	echo
	echo "cleaning up..."
	# Traffic first, then the lab (while the agent can still deregister its
	# endpoints and detach), the agent last.
	[ -n "${traffic:-}" ] && kill "$traffic" 2>/dev/null
	"$BIN" lab down --name "$LAB" >/dev/null 2>&1 || true
	[ -n "${ui:-}" ] && kill "$ui" 2>/dev/null
	[ -n "${relay:-}" ] && kill "$relay" 2>/dev/null
	[ -n "${agent:-}" ] && kill "$agent" 2>/dev/null
	[ -n "${clickhouse:-}" ] && kill "$clickhouse" 2>/dev/null
	wait 2>/dev/null || true
	echo "done"
	exit 0
}
trap cleanup EXIT INT TERM

# wait_for NAME PID LOG CMD...: until CMD succeeds, or NAME exits.
wait_for() {
	local name=$1 pid=$2 log=$3
	shift 3
	for _ in $(seq 1 150); do
		"$@" >/dev/null 2>&1 && return 0
		if ! kill -0 "$pid" 2>/dev/null; then
			echo "$name exited:" >&2
			tail -n 30 "$log" >&2
			exit 1
		fi
		sleep 0.2
	done
	echo "$name did not come up: see $log" >&2
	exit 1
}

mkdir -p "$CH_DIR"/{data,tmp,log,user_files,format_schemas}
for f in config.xml users.xml; do
	sed -e "s#@DIR@#$CH_DIR#g" -e "s#@TCP_PORT@#$CH_TCP_PORT#g" -e "s#@HTTP_PORT@#$CH_HTTP_PORT#g" \
		"deploy/clickhouse/$f" >"$CH_DIR/$f"
done
/usr/sbin/clickhouse-server --config-file="$CH_DIR/config.xml" >"$LOG_DIR/clickhouse.log" 2>&1 &
clickhouse=$!
wait_for clickhouse "$clickhouse" "$CH_DIR/log/error.log" curl -sf "http://127.0.0.1:$CH_HTTP_PORT/ping"

# Flow metrics with workload contexts, as the dashboards in dashboards/ read them.
ctx="sourceContext=workload;destinationContext=workload"
metrics=""
for family in flow drop policy tcp icmp port-distribution dns http kafka; do
	metrics="$metrics${metrics:+,}$family:$ctx"
done
"$BIN" agent --node-name "$NODE" --metrics "$metrics" >"$LOG_DIR/agent.log" 2>&1 &
agent=$!
wait_for agent "$agent" "$LOG_DIR/agent.log" "$BIN" status

"$BIN" relay --peers "$NODE=127.0.0.1:4244" --clickhouse "clickhouse://127.0.0.1:$CH_TCP_PORT/loupe" \
	>"$LOG_DIR/relay.log" 2>&1 &
relay=$!
wait_for relay "$relay" "$LOG_DIR/relay.log" "$BIN" status --server 127.0.0.1:4245

"$BIN" ui --server 127.0.0.1:4245 --query-api 127.0.0.1:4246 >"$LOG_DIR/ui.log" 2>&1 &
ui=$!
wait_for ui "$ui" "$LOG_DIR/ui.log" curl -sf http://127.0.0.1:12000/

"$BIN" lab up --topology "$TOPOLOGY"
# The shop's policies, L3/L4 and L7: denied attempts show up as drops, HTTP,
# gRPC, DNS and Kafka calls as L7 flows through the node's proxy.
"$BIN" policy apply deploy/lab/policies/shop.yaml
"$BIN" policy apply deploy/lab/policies/shop-l7.yaml
"$BIN" lab traffic --name "$LAB" >"$LOG_DIR/traffic.log" 2>&1 &
traffic=$!

cat <<EOT

loupe is running: agent, relay, web UI, ClickHouse (logs in $LOG_DIR; history in $CH_DIR),
the demo lab and live traffic.
Open http://127.0.0.1:12000 for the web UI (service map, flows, history, tracing).
In another terminal:
  $BIN observe -f                                  # live flows of this node
  $BIN observe --server 127.0.0.1:4245 -f          # the cluster, through the relay
  $BIN observe --server 127.0.0.1:4245 --since 10m --verdict DROPPED   # history from ClickHouse
  $BIN query service-map --since 15m -o table ; $BIN query drops --since 1h --by reason
  $BIN nodes
  $BIN observe --last 50 --from-label app=frontend --protocol tcp -o table
  $BIN observe --since 30s --verdict FORWARDED -o json | jq .
  $BIN endpoint list ; $BIN identity list ; $BIN status ; $BIN lab status
  $BIN lab exec frontend -- curl -s http://catalog:8080/
  $BIN observe --type l7 -f                        # HTTP, DNS, Kafka requests through the proxy
  $BIN lab exec frontend -- curl -s -X DELETE http://catalog:8080/products/7   # 403 from L7 policy
  curl -s 127.0.0.1:9965/metrics | grep ^loupe_      # Prometheus: the agent (9966: the relay)
Ctrl-C here stops everything and cleans up.
EOT
wait "$agent"
