// Package observer serves the Observer API for the whole cluster: every
// call fans out to the connected nodes, and GetFlows merges their streams
// into one time order (see relay/merge), with node status events in-band
// and, when a History is configured, the part of a request that the nodes'
// buffers no longer hold answered from it.
package observer

import (
	"context"
	"time"

	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/loupe-dev/loupe/api/flow"
	observerpb "github.com/loupe-dev/loupe/api/observer"
	"github.com/loupe-dev/loupe/relay/merge"
	"github.com/loupe-dev/loupe/relay/peers"
)

// Nodes is what the server needs of the peer manager.
type Nodes interface {
	// Nodes returns every known node, and a channel closed at the next
	// change of state.
	Nodes() ([]peers.Node, <-chan struct{})
	// ReportFailure says that a stream on connection gen of node failed.
	ReportFailure(name string, gen uint64)
}

// History answers the part of a request that the live buffers no longer
// hold: relay.History, as the server consumes it.
type History interface {
	Flows(ctx context.Context, req *observerpb.GetFlowsRequest, until time.Time, send func(*flow.Flow) error) error
}

// Config sets up a Server.
type Config struct {
	Window merge.Config
	// History answers for times before the live buffers; nil: none.
	History History
	Version string
	// CallTimeout bounds each node's answer to a fanned-out call.
	CallTimeout time.Duration
	// Tracer traces GetFlows and history reads; nil: no tracing.
	Tracer trace.Tracer
}

// Server implements observer.ObserverServer for the cluster.
type Server struct {
	observerpb.UnimplementedObserverServer
	cfg      Config
	nodes    Nodes
	started  time.Time
	counters counters
	// closing ends every GetFlows when the relay stops.
	closing context.Context
	close   context.CancelFunc
}

// NewServer serves the nodes of nodes.
func NewServer(cfg Config, nodes Nodes) *Server {
	if cfg.CallTimeout <= 0 {
		cfg.CallTimeout = 5 * time.Second
	}
	if cfg.Tracer == nil {
		cfg.Tracer = noop.NewTracerProvider().Tracer("")
	}
	closing, close := context.WithCancel(context.Background())
	return &Server{cfg: cfg, nodes: nodes, started: time.Now(), closing: closing, close: close}
}

// Close ends every GetFlows stream (they end cleanly, as when their
// client leaves), so that a graceful stop need not wait for followers.
func (s *Server) Close() { s.close() }

// connected returns the nodes that are connected now.
func (s *Server) connected() []peers.Node {
	all, _ := s.nodes.Nodes()
	var out []peers.Node
	for _, n := range all {
		if n.State == observerpb.NodeState_NODE_CONNECTED && n.Conn != nil {
			out = append(out, n)
		}
	}
	return out
}

// liveBoundary is the time from which the nodes' buffers are complete: the
// newest of their oldest flows. A node whose buffer is empty holds nothing,
// so then it is now; with no node connected, too.
func (s *Server) liveBoundary() time.Time {
	now := time.Now()
	var b time.Time
	nodes := s.connected()
	if len(nodes) == 0 {
		return now
	}
	for _, n := range nodes {
		t := now
		if o := n.Status.GetOldestFlowTime(); o != nil {
			t = o.AsTime()
		}
		if t.After(b) {
			b = t
		}
	}
	return b
}

func flowResponse(f *flow.Flow) *observerpb.GetFlowsResponse {
	return &observerpb.GetFlowsResponse{
		NodeName: f.GetNodeName(), Time: f.GetTime(),
		ResponseTypes: &observerpb.GetFlowsResponse_Flow{Flow: f},
	}
}

func statusResponse(state observerpb.NodeState, names []string, msg string) *observerpb.GetFlowsResponse {
	return &observerpb.GetFlowsResponse{
		Time: timestamppb.Now(),
		ResponseTypes: &observerpb.GetFlowsResponse_NodeStatus{NodeStatus: &observerpb.NodeStatusEvent{
			StateChange: state, NodeNames: names, Message: msg,
		}},
	}
}
