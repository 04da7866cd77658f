package observer

import (
	"context"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	observerpb "github.com/loupe-dev/loupe/api/observer"
	"github.com/loupe-dev/loupe/collector/filters"
)

// sendFunc writes one record of the merged stream.
type sendFunc func(*observerpb.GetFlowsResponse) error

// GetFlows answers like an agent does, for the whole cluster: the same
// request goes to every connected node (filters are applied there) and the
// answers come back merged in time order.
func (s *Server) GetFlows(req *observerpb.GetFlowsRequest, stream observerpb.Observer_GetFlowsServer) error {
	if _, err := filters.Compile(req.GetAllow(), req.GetDeny()); err != nil {
		return status.Error(codes.InvalidArgument, err.Error())
	}
	if err := validTimes(req); err != nil {
		return err
	}
	if req.GetSince() != nil && req.GetUntil() != nil && req.GetUntil().AsTime().Before(req.GetSince().AsTime()) {
		return status.Error(codes.InvalidArgument, "until is before since")
	}
	ctx, span := s.traceGetFlows(stream.Context(), req)
	defer span.End()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	defer context.AfterFunc(s.closing, cancel)()
	if s.cfg.History != nil && req.GetSince() != nil {
		if boundary := s.liveBoundary(); req.GetSince().AsTime().Before(boundary) {
			return s.historyThenLive(ctx, req, boundary, s.counted(stream.Send))
		}
	}
	return s.live(ctx, req, s.counted(stream.Send))
}

// validTimes refuses timestamps out of range: history would otherwise
// reach ClickHouse with them.
func validTimes(req *observerpb.GetFlowsRequest) error {
	for _, t := range []struct {
		name string
		ts   *timestamppb.Timestamp
	}{{"since", req.GetSince()}, {"until", req.GetUntil()}} {
		if t.ts == nil {
			continue
		}
		if err := t.ts.CheckValid(); err != nil {
			return status.Errorf(codes.InvalidArgument, "%s: %v", t.name, err)
		}
	}
	return nil
}

// live answers from the nodes' buffers only.
func (s *Server) live(ctx context.Context, req *observerpb.GetFlowsRequest, send sendFunc) error {
	if req.GetNumber() == 0 || req.GetFirst() {
		return s.merged(ctx, req, nil, send)
	}
	return s.newestThenFollow(ctx, req, nil, send)
}

// newestThenFollow sends the cluster's last req.Number flows: every node's
// last N, of which the newest N remain; then, to follow, each node from
// where its answer ended. older, when given, first sends what comes before
// them, told how many flows the nodes had.
func (s *Server) newestThenFollow(ctx context.Context, req *observerpb.GetFlowsRequest, older func(found uint64) error, send sendFunc) error {
	last := proto.Clone(req).(*observerpb.GetFlowsRequest)
	last.Follow = false
	out, resume, err := s.newest(ctx, last)
	if err != nil {
		return err
	}
	if older != nil {
		var found uint64
		for _, r := range out {
			if r.GetFlow() != nil {
				found++
			}
		}
		if err := older(found); err != nil {
			return err
		}
	}
	for _, r := range out {
		if err := send(r); err != nil {
			return err
		}
	}
	if !req.GetFollow() {
		return nil
	}
	follow := proto.Clone(req).(*observerpb.GetFlowsRequest)
	follow.Number = 0
	return s.merged(ctx, follow, resume, send)
}

// resumeFrom says where each node's follow stream starts after an answer
// that already holds its flows up to some time.
type resumeFrom struct {
	after   map[string]time.Time // per node: the newest flow already seen
	started time.Time            // for nodes that sent none
}

// since is the request's since for node.
func (r *resumeFrom) since(node string) *timestamppb.Timestamp {
	if t, ok := r.after[node]; ok {
		return timestamppb.New(t.Add(time.Nanosecond))
	}
	return timestamppb.New(r.started)
}
