package observer

import (
	"context"
	"sync"
	"time"

	observerpb "github.com/loupe-dev/loupe/api/observer"
	"github.com/loupe-dev/loupe/relay/merge"
	"github.com/loupe-dev/loupe/relay/peers"
)

// newest asks every connected node for its last req.Number flows and keeps
// the newest req.Number of them all, in order, after the node status
// records. It also returns where each node's answer ended, for a follow.
func (s *Server) newest(ctx context.Context, req *observerpb.GetFlowsRequest) ([]*observerpb.GetFlowsResponse, *resumeFrom, error) {
	var status []*observerpb.GetFlowsResponse
	var mu sync.Mutex
	rep := newReported(func(r *observerpb.GetFlowsResponse) {
		mu.Lock()
		status = append(status, r)
		mu.Unlock()
	})
	nodes, _ := s.nodes.Nodes()
	rep.initial(nodes, true)
	keep := merge.NewNewest(int(min(req.GetNumber(), uint64(1<<30))))
	resume := &resumeFrom{after: map[string]time.Time{}, started: time.Now()}
	var wg sync.WaitGroup
	for _, n := range s.connected() {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := readNode(ctx, n, req, func(r *observerpb.GetFlowsResponse) error {
				mu.Lock()
				defer mu.Unlock()
				keep.Add(r)
				if f := r.GetFlow(); f != nil && f.GetTime().AsTime().After(resume.after[n.Name]) {
					resume.after[n.Name] = f.GetTime().AsTime()
				}
				return nil
			})
			if err != nil && ctx.Err() == nil {
				s.nodes.ReportFailure(n.Name, n.Gen)
				rep.change(n.Name, observerpb.NodeState_NODE_UNAVAILABLE, peers.ErrorText(err))
			}
		}()
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, nil, err
	}
	return append(status, keep.Sorted()...), resume, nil
}
