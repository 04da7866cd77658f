package printer

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/loupe-dev/loupe/api/observer"
)

var statusAt = timestamppb.New(time.Date(2026, 3, 7, 9, 0, 5, 0, time.UTC))

func nodeStatusResponse(state observer.NodeState, msg string, names ...string) *observer.GetFlowsResponse {
	return &observer.GetFlowsResponse{Time: statusAt, ResponseTypes: &observer.GetFlowsResponse_NodeStatus{
		NodeStatus: &observer.NodeStatusEvent{StateChange: state, NodeNames: names, Message: msg},
	}}
}

func TestNodeStatusLines(t *testing.T) {
	rs := []*observer.GetFlowsResponse{
		nodeStatusResponse(observer.NodeState_NODE_CONNECTED, "", "node-a", "node-b"),
		nodeStatusResponse(observer.NodeState_NODE_UNAVAILABLE, "connection refused", "node-b"),
		nodeStatusResponse(observer.NodeState_NODE_GONE, "", "node-c"),
	}
	want := map[string]string{
		"compact": `Mar  7 09:00:05.000: 2 nodes connected: node-a, node-b
Mar  7 09:00:05.000: 1 node unavailable: node-b (connection refused)
Mar  7 09:00:05.000: 1 node gone: node-c
`,
		"table": `TIME                  SOURCE   DESTINATION   TYPE          VERDICT   SUMMARY
Mar  7 09:00:05.000                          NODE STATUS             2 nodes connected: node-a, node-b
Mar  7 09:00:05.000                          NODE STATUS             1 node unavailable: node-b (connection refused)
Mar  7 09:00:05.000                          NODE STATUS             1 node gone: node-c
`,
		"json": `{"nodeStatus":{"stateChange":"NODE_CONNECTED","nodeNames":["node-a","node-b"]},"time":"2026-03-07T09:00:05Z"}
{"nodeStatus":{"stateChange":"NODE_UNAVAILABLE","nodeNames":["node-b"],"message":"connection refused"},"time":"2026-03-07T09:00:05Z"}
{"nodeStatus":{"stateChange":"NODE_GONE","nodeNames":["node-c"]},"time":"2026-03-07T09:00:05Z"}
`,
	}
	for format, w := range want {
		t.Run(format, func(t *testing.T) {
			var buf bytes.Buffer
			p, err := New(&buf, format, Options{Location: time.UTC})
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range rs {
				if err := p.WriteResponse(r); err != nil {
					t.Fatal(err)
				}
			}
			p.Close()
			if diff := cmp.Diff(buf.String(), w); diff != "" {
				t.Fatalf("(-got +want):\n%s", diff)
			}
		})
	}
}

func TestWriteNodes(t *testing.T) {
	var buf bytes.Buffer
	err := WriteNodes(&buf, &observer.GetNodesResponse{Nodes: []*observer.Node{
		{Name: "node-a", State: observer.NodeState_NODE_CONNECTED, Address: "127.0.0.1:4244", NumFlows: 10, MaxFlows: 64, Version: "v1", Tls: true},
		{Name: "node-b", State: observer.NodeState_NODE_UNAVAILABLE, Address: "127.0.0.1:4344", LastError: "connection refused"},
	}}, "table")
	if err != nil {
		t.Fatal(err)
	}
	want := `NAME     STATE         ADDRESS          FLOWS   VERSION   TLS   ERROR
node-a   connected     127.0.0.1:4244   10/64   v1        yes   -
node-b   unavailable   127.0.0.1:4344   -       -         no    connection refused
`
	if diff := cmp.Diff(buf.String(), want); diff != "" {
		t.Fatalf("(-got +want):\n%s", diff)
	}
}

func TestRelayStatusNamesItsNodes(t *testing.T) {
	two, one := uint32(2), uint32(1)
	var buf bytes.Buffer
	err := WriteStatus(&buf, &observer.ServerStatusResponse{
		NumConnectedNodes: &two, NumUnavailableNodes: &one, UnavailableNodes: []string{"node-c"}, Version: "v1",
	}, "table")
	if err != nil {
		t.Fatal(err)
	}
	if first := strings.SplitN(buf.String(), "\n", 2)[0]; first != "Nodes:                2 connected, 1 unavailable (node-c)" {
		t.Fatalf("first line %q", first)
	}
}
