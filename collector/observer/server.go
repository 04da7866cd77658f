// Package observer serves the Observer gRPC API from the collector's ring.
package observer

import (
	"context"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/loupe-dev/loupe/api/flow"
	"github.com/loupe-dev/loupe/api/observer"
	"github.com/loupe-dev/loupe/collector"
	"github.com/loupe-dev/loupe/collector/filters"
	"github.com/loupe-dev/loupe/collector/ring"
)

// Source is what the server reads: the collector.
type Source interface {
	Ring() *ring.Ring
	Stats() collector.Stats
}

// Server implements observer.ObserverServer.
type Server struct {
	observer.UnimplementedObserverServer
	src         Source
	node        string
	version     string
	aggregation string
	address     string          // where GetNodes says the node serves
	tls         bool            // whether that address is mutual TLS
	namespaces  func() []string // the namespaces of the node's endpoints
}

// NewServer serves src for node.
func NewServer(src Source, node, version, aggregation string) *Server {
	return &Server{src: src, node: node, version: version, aggregation: aggregation}
}

// ServerStatus reports the ring and loss counters.
func (s *Server) ServerStatus(context.Context, *observer.ServerStatusRequest) (*observer.ServerStatusResponse, error) {
	r := s.src.Ring()
	oldest, next := r.Bounds()
	st := s.src.Stats()
	resp := &observer.ServerStatusResponse{
		NumFlows: next - oldest, MaxFlows: r.Cap(), SeenFlows: st.Seen, FlowsRate: st.Rate,
		UptimeNs: uint64(st.Uptime.Nanoseconds()), NumLostEvents: st.KernelLost, DecodeErrors: st.DecodeErrors,
		Version: s.version, NodeName: s.node, MonitorAggregation: s.aggregation,
	}
	// An empty ring holds nothing: the oldest time stays unset.
	if e, _, _, ok := r.Read(oldest); ok {
		resp.OldestFlowTime = timestamppb.New(time.Unix(0, e.TimeNs))
	}
	return resp, nil
}

// GetFlows streams flows that pass the request's filters: the last or first
// N, a time window, and with follow every new one. Lost events always pass.
func (s *Server) GetFlows(req *observer.GetFlowsRequest, stream observer.Observer_GetFlowsServer) error {
	match, err := filters.Compile(req.GetAllow(), req.GetDeny())
	if err != nil {
		return status.Error(codes.InvalidArgument, err.Error())
	}
	w := window{match: match}
	if req.GetSince() != nil {
		w.since = req.GetSince().AsTime().UnixNano()
	}
	if req.GetUntil() != nil {
		w.until = req.GetUntil().AsTime().UnixNano()
		if req.GetSince() != nil && w.until < w.since {
			return status.Error(codes.InvalidArgument, "until is before since")
		}
	}
	ctx := stream.Context()
	r := s.src.Ring()
	send := func(e ring.Entry) error { return stream.Send(s.response(e)) }

	pos := s.start(r, req, w)
	limit := req.GetNumber()
	var sent uint64
	for {
		e, at, lost, ok := r.Read(pos)
		if lost > 0 {
			// The writer overtook this reader: say how much was missed.
			if err := send(ring.Entry{TimeNs: time.Now().UnixNano(), Lost: &flow.LostEvent{
				Source: flow.LostEventSource_FLOW_RING, NumEventsLost: lost, Cpu: -1,
			}}); err != nil {
				return err
			}
		}
		pos = at
		if !ok {
			if !req.GetFollow() {
				return nil
			}
			if err := r.Wait(ctx, pos); err != nil {
				return nil // client went away
			}
			continue
		}
		pos++
		if w.until != 0 && e.TimeNs > w.until && !req.GetFollow() {
			return nil
		}
		if !w.pass(e) {
			continue
		}
		if err := send(e); err != nil {
			return err
		}
		if e.Flow != nil {
			sent++
		}
		if limit > 0 && sent >= limit && (req.GetFirst() || !req.GetFollow()) {
			return nil
		}
	}
}

// start picks the first position to read: for "last N" it walks back from
// the newest entry until N matching flows are behind it.
func (s *Server) start(r *ring.Ring, req *observer.GetFlowsRequest, w window) uint64 {
	oldest, next := r.Bounds()
	switch {
	case req.GetFirst():
		return oldest
	case req.GetNumber() > 0:
		var found uint64
		for pos := next; pos > oldest; pos-- {
			e, at, _, ok := r.Read(pos - 1)
			if !ok || at != pos-1 {
				return at
			}
			if e.Flow != nil && w.pass(e) {
				if found++; found == req.GetNumber() {
					return pos - 1
				}
			}
		}
		return oldest
	case req.GetFollow() && req.GetSince() == nil:
		return next
	}
	return oldest
}

type window struct {
	match        filters.Func
	since, until int64
}

func (w window) pass(e ring.Entry) bool {
	if e.TimeNs < w.since || (w.until != 0 && e.TimeNs > w.until) {
		return false
	}
	return e.Lost != nil || w.match(e.Flow)
}

func (s *Server) response(e ring.Entry) *observer.GetFlowsResponse {
	resp := &observer.GetFlowsResponse{NodeName: s.node, Time: timestamppb.New(time.Unix(0, e.TimeNs))}
	if e.Flow != nil {
		resp.ResponseTypes = &observer.GetFlowsResponse_Flow{Flow: e.Flow}
	} else {
		resp.ResponseTypes = &observer.GetFlowsResponse_LostEvents{LostEvents: e.Lost}
	}
	return resp
}
