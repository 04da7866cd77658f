// Package uitest has fakes of the relay for the UI's tests and
// measurements: an Observer that serves given flows, or a synthetic load.
package uitest

import (
	"context"
	"net"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/loupe-dev/loupe/api/flow"
	"github.com/loupe-dev/loupe/api/observer"
)

// Observer is a fake relay. GetFlows answers with Flows (the newest
// Number of them); a follow then streams Generate's flows at Rate per
// second until the client leaves.
type Observer struct {
	observer.UnimplementedObserverServer
	mu    sync.Mutex
	Flows []*flow.Flow
	// Rate and Generate make a follow's load; zero Rate streams nothing.
	Rate     int
	Generate func(i int) *flow.Flow
	// Requests are the requests GetFlows received.
	Requests []*observer.GetFlowsRequest
}

// GetFlows implements the Observer API.
func (o *Observer) GetFlows(req *observer.GetFlowsRequest, stream observer.Observer_GetFlowsServer) error {
	o.mu.Lock()
	o.Requests = append(o.Requests, req)
	flows := o.Flows
	rate, gen := o.Rate, o.Generate
	o.mu.Unlock()
	if n := int(req.GetNumber()); n > 0 && n < len(flows) {
		flows = flows[len(flows)-n:]
	}
	for _, f := range flows {
		if err := stream.Send(&observer.GetFlowsResponse{ResponseTypes: &observer.GetFlowsResponse_Flow{Flow: f}, NodeName: f.GetNodeName(), Time: f.GetTime()}); err != nil {
			return err
		}
	}
	if !req.GetFollow() || rate == 0 || gen == nil {
		if req.GetFollow() {
			<-stream.Context().Done()
		}
		return nil
	}
	// Sends in 10 ms steps keep the rate smooth.
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	start, sent := time.Now(), 0
	for {
		select {
		case <-stream.Context().Done():
			return nil
		case now := <-tick.C:
			due := int(now.Sub(start).Seconds() * float64(rate))
			for ; sent < due; sent++ {
				f := gen(sent)
				if err := stream.Send(&observer.GetFlowsResponse{ResponseTypes: &observer.GetFlowsResponse_Flow{Flow: f}, NodeName: f.GetNodeName(), Time: f.GetTime()}); err != nil {
					return err
				}
			}
		}
	}
}

// ServerStatus implements the Observer API.
func (o *Observer) ServerStatus(context.Context, *observer.ServerStatusRequest) (*observer.ServerStatusResponse, error) {
	one := uint32(1)
	return &observer.ServerStatusResponse{NodeName: "fake", NumConnectedNodes: &one, Version: "test"}, nil
}

// GetNodes implements the Observer API.
func (o *Observer) GetNodes(context.Context, *observer.GetNodesRequest) (*observer.GetNodesResponse, error) {
	return &observer.GetNodesResponse{Nodes: []*observer.Node{{Name: "fake", State: observer.NodeState_NODE_CONNECTED}}}, nil
}

// Serve runs o on a loopback port until the test ends and returns its
// address.
func Serve(t testing.TB, o *Observer) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer()
	observer.RegisterObserverServer(srv, o)
	done := make(chan struct{})
	go func() { defer close(done); _ = srv.Serve(l) }()
	t.Cleanup(func() { srv.Stop(); <-done })
	return l.Addr().String()
}

// Flow makes a forwarded TCP flow between two workloads.
func Flow(t time.Time, src, dst *flow.Endpoint, sport, dport uint32) *flow.Flow {
	return &flow.Flow{
		Time: timestamppb.New(t), NodeName: "fake", Verdict: flow.Verdict_FORWARDED,
		EventType: flow.EventType_TRACE, ObservationPoint: flow.ObservationPoint_FROM_ENDPOINT,
		TrafficDirection: flow.TrafficDirection_EGRESS,
		Ip:               &flow.IP{Source: "10.0.0.1", Destination: "10.0.0.2", IpVersion: flow.IPVersion_IPV4},
		L4:               &flow.Layer4{Protocol: &flow.Layer4_Tcp{Tcp: &flow.TCP{SourcePort: sport, DestinationPort: dport, Flags: &flow.TCPFlags{SYN: true}}}},
		Source:           src, Destination: dst,
	}
}
