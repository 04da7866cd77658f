#!/usr/bin/env bash
# make run: the agent, the demo lab and live traffic on this machine.
# Ctrl-C stops the traffic, removes the lab and stops the agent.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${LOUPE_BIN:-$PWD/bin/loupe}
LOG_DIR=/var/run/loupe
TOPOLOGY=${TOPOLOGY:-deploy/lab/demo.yaml}
LAB=$(awk '/^name:/ {print $2; exit}' "$TOPOLOGY")

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
	[ -n "${agent:-}" ] && kill "$agent" 2>/dev/null
	wait 2>/dev/null || true
	echo "done"
	exit 0
}
trap cleanup EXIT INT TERM

"$BIN" agent >"$LOG_DIR/agent.log" 2>&1 &
agent=$!
for _ in $(seq 1 50); do
	"$BIN" status >/dev/null 2>&1 && break
	if ! kill -0 "$agent" 2>/dev/null; then
		echo "the agent exited:" >&2
		cat "$LOG_DIR/agent.log" >&2
		exit 1
	fi
	sleep 0.2
done

"$BIN" lab up --topology "$TOPOLOGY"
"$BIN" lab traffic --name "$LAB" >"$LOG_DIR/traffic.log" 2>&1 &
traffic=$!

cat <<EOT

loupe is running: agent (log $LOG_DIR/agent.log), demo lab, live traffic.
In another terminal:
  $BIN observe -f                                  # live flows
  $BIN observe --last 50 --from-label app=frontend --protocol tcp -o table
  $BIN observe --since 30s --verdict FORWARDED -o json | jq .
  $BIN endpoint list ; $BIN identity list ; $BIN status ; $BIN lab status
  $BIN lab exec frontend -- curl -s http://catalog:8080/
Ctrl-C here stops everything and cleans up.
EOT
wait "$agent"
