package observer

import (
	"context"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/loupe-dev/loupe/api/flow"
	observerpb "github.com/loupe-dev/loupe/api/observer"
)

// historyThenLive answers a request whose since is older than boundary,
// where the nodes' buffers start to be complete: [since, boundary) from
// history, then from boundary on from the nodes, in one time order.
func (s *Server) historyThenLive(ctx context.Context, req *observerpb.GetFlowsRequest, boundary time.Time, send sendFunc) error {
	// History's until is exclusive and it applies req.Until (inclusive)
	// itself: it always ends at the boundary, where the live part starts.
	liveToo := req.GetUntil() == nil || !req.GetUntil().AsTime().Before(boundary)
	liveReq := proto.Clone(req).(*observerpb.GetFlowsRequest)
	liveReq.Since = timestamppb.New(boundary)

	if req.GetNumber() > 0 && !req.GetFirst() && liveToo {
		// The last N: the newest are live; history only makes up the rest.
		return s.newestThenFollow(ctx, liveReq, func(found uint64) error {
			if found >= req.GetNumber() {
				return nil
			}
			older := proto.Clone(req).(*observerpb.GetFlowsRequest)
			older.Number = req.GetNumber() - found
			return s.history(ctx, older, boundary, send, nil)
		}, send)
	}

	var sent uint64
	if err := s.history(ctx, req, boundary, send, &sent); err != nil {
		return err
	}
	if !liveToo {
		return nil
	}
	if req.GetFirst() && req.GetNumber() > 0 {
		if sent >= req.GetNumber() {
			return nil
		}
		liveReq.Number = req.GetNumber() - sent
	}
	return s.live(ctx, liveReq, send)
}

// history streams the History's flows of req before until, counting them
// in sent when given. History has nothing to follow: the live part does.
func (s *Server) history(ctx context.Context, req *observerpb.GetFlowsRequest, until time.Time, send sendFunc, sent *uint64) error {
	req = proto.Clone(req).(*observerpb.GetFlowsRequest)
	req.Follow = false
	ctx, span := s.traceHistory(ctx, until)
	var n uint64
	defer func() { endCounted(span, n) }()
	err := s.cfg.History.Flows(ctx, req, until, func(f *flow.Flow) error {
		n++
		if sent != nil {
			*sent++
		}
		return send(flowResponse(f))
	})
	if err != nil && ctx.Err() == nil {
		return status.Errorf(codes.Unavailable, "history: %v", err)
	}
	return err
}
