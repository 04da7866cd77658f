package ui

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strconv"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/loupe-dev/loupe/api/flow"
	"github.com/loupe-dev/loupe/api/observer"
)

// flowsAnswer is a history answer: the records in time order.
type flowsAnswer struct {
	Items     protoList[*observer.GetFlowsResponse] `json:"items"`
	Truncated bool                                  `json:"truncated"`
}

// serveFlows answers GET /api/v1/flows?filter=&since=&until=&limit=&first=
// with the newest (or, with first=true, the oldest) limit flows of the
// window. Times are RFC 3339; the relay reads what its nodes no longer
// hold from ClickHouse.
func (s *Server) serveFlows(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	allow, deny, err := s.cfg.ParseFilter(q.Get("filter"))
	if err != nil {
		writeError(w, http.StatusBadRequest, "filter: "+err.Error())
		return
	}
	req := &observer.GetFlowsRequest{Allow: allow, Deny: deny}
	if err := s.window(q.Get("since"), q.Get("until"), req); err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	limit, err := s.limit(q.Get("limit"))
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	req.Number, req.First = limit, q.Get("first") == "true"
	s.answerFlows(w, r.Context(), req)
}

// answerFlows runs req and writes its records.
func (s *Server) answerFlows(w http.ResponseWriter, ctx context.Context, req *observer.GetFlowsRequest) {
	ctx, cancel := context.WithTimeout(ctx, requestTimeout)
	defer cancel()
	items, err := s.collect(ctx, req)
	if err != nil {
		writeError(w, http.StatusBadGateway, "relay: "+err.Error())
		return
	}
	writeJSON(w, flowsAnswer{Items: items, Truncated: uint64(countFlows(items)) >= req.Number})
}

// collect reads a stream that ends (no follow) to the end.
func (s *Server) collect(ctx context.Context, req *observer.GetFlowsRequest) ([]*observer.GetFlowsResponse, error) {
	stream, err := s.cfg.Observer.GetFlows(ctx, req)
	if err != nil {
		return nil, err
	}
	var items []*observer.GetFlowsResponse
	for {
		resp, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			return items, nil
		}
		if err != nil {
			return nil, err
		}
		items = append(items, resp)
	}
}

func countFlows(items []*observer.GetFlowsResponse) int {
	n := 0
	for _, it := range items {
		if it.GetFlow() != nil {
			n++
		}
	}
	return n
}

func (s *Server) limit(v string) (uint64, error) {
	if v == "" {
		return 1000, nil
	}
	n, err := strconv.ParseUint(v, 10, 64)
	if err != nil || n == 0 || n > s.cfg.MaxFlows {
		return 0, errors.New("limit: want 1 to " + strconv.FormatUint(s.cfg.MaxFlows, 10))
	}
	return n, nil
}

// window sets since and until from RFC 3339 values ("" leaves one open).
func (s *Server) window(since, until string, req *observer.GetFlowsRequest) error {
	for _, p := range []struct {
		name, v string
		ts      **timestamppb.Timestamp
	}{{"since", since, &req.Since}, {"until", until, &req.Until}} {
		if p.v == "" {
			continue
		}
		t, err := time.Parse(time.RFC3339Nano, p.v)
		if err != nil {
			return errors.New(p.name + ": want an RFC 3339 time")
		}
		*p.ts = timestamppb.New(t)
	}
	if req.Since != nil && req.Until != nil && !req.Since.AsTime().Before(req.Until.AsTime()) {
		return errors.New("since must be before until")
	}
	return nil
}

// serveFilterCheck answers whether a filter parses: {"ok":true} or 400.
func (s *Server) serveFilterCheck(w http.ResponseWriter, r *http.Request) {
	allow, deny, err := s.cfg.ParseFilter(r.URL.Query().Get("filter"))
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	writeJSON(w, map[string]any{"ok": true, "allow": protoList[*flow.FlowFilter](allow), "deny": protoList[*flow.FlowFilter](deny)})
}
