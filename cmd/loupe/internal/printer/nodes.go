package printer

import (
	"fmt"
	"io"
	"strings"

	"github.com/loupe-dev/loupe/api/observer"
)

// nodeState is how a node's state reads in tables and status lines.
func nodeState(s observer.NodeState) string {
	switch s {
	case observer.NodeState_NODE_CONNECTED:
		return "connected"
	case observer.NodeState_NODE_UNAVAILABLE:
		return "unavailable"
	case observer.NodeState_NODE_GONE:
		return "gone"
	}
	return "connecting"
}

// nodeStatusSummary renders a node status record, as hubble does:
// "2 nodes connected: node-a, node-b", "1 node unavailable: node-b (why)".
func nodeStatusSummary(s *observer.NodeStatusEvent) string {
	n := len(s.GetNodeNames())
	noun := "nodes"
	if n == 1 {
		noun = "node"
	}
	out := fmt.Sprintf("%d %s %s: %s", n, noun, nodeState(s.GetStateChange()), strings.Join(s.GetNodeNames(), ", "))
	if s.GetMessage() != "" {
		out += " (" + s.GetMessage() + ")"
	}
	return out
}

// WriteNodes prints GetNodes: one row per node, as the relay sees it.
func WriteNodes(w io.Writer, r *observer.GetNodesResponse, format string) error {
	switch format {
	case "json":
		return writeJSON(w, r)
	case "table":
	default:
		return unknownListFormat(format)
	}
	rows := [][]string{{"NAME", "STATE", "ADDRESS", "FLOWS", "VERSION", "TLS", "ERROR"}}
	for _, n := range r.GetNodes() {
		flows := ""
		if n.GetMaxFlows() > 0 {
			flows = fmt.Sprintf("%d/%d", n.GetNumFlows(), n.GetMaxFlows())
		}
		tls := "no"
		if n.GetTls() {
			tls = "yes"
		}
		rows = append(rows, []string{n.GetName(), nodeState(n.GetState()), n.GetAddress(), flows, n.GetVersion(), tls, n.GetLastError()})
	}
	return writeRows(w, rows)
}
