package observer

import (
	"context"
	"fmt"
	"sync"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	observerpb "github.com/loupe-dev/loupe/api/observer"
	"github.com/loupe-dev/loupe/relay/merge"
	"github.com/loupe-dev/loupe/relay/peers"
)

// mergedCall is one merged GetFlows: a reader goroutine per node stream,
// all owned by the call and ended with it.
type mergedCall struct {
	s        *Server
	ctx      context.Context
	req      *observerpb.GetFlowsRequest
	resume   *resumeFrom
	merger   *merge.Merger
	reported *reported
	started  time.Time
	wg       sync.WaitGroup
	// streaming is the connection each node is streamed on; only the
	// call's own goroutine uses it.
	streaming map[string]uint64
}

// merged streams req from every connected node through the sort window:
// records go out in time order, at most req.Number flows with req.First;
// with req.Follow it keeps going, and streams from nodes that connect
// later. resume, when set, says where each node's stream starts.
func (s *Server) merged(ctx context.Context, req *observerpb.GetFlowsRequest, resume *resumeFrom, send sendFunc) error {
	ctx, cancel := context.WithCancel(ctx)
	window := s.cfg.Window
	if !req.GetFollow() {
		// Every stream ends: the merge can wait for all of them and be
		// exact. A node that hangs fails its health check, which closes
		// its connection and so ends its stream.
		window.MaxDelay = 0
	}
	c := &mergedCall{
		s: s, ctx: ctx, req: req, resume: resume, merger: merge.NewMerger(window),
		started: time.Now(), streaming: map[string]uint64{},
	}
	defer func() {
		cancel()
		c.wg.Wait()
	}()
	c.reported = newReported(c.merger.OutOfBand)
	nodes, changed := s.nodes.Nodes()
	c.reported.initial(nodes, resume == nil)
	// Nodes asked for older flows first are waited for (FirstWait) before
	// a quiet node's absence lets records go.
	backlog := req.GetSince() != nil || resume != nil
	for _, n := range nodes {
		if n.State == observerpb.NodeState_NODE_CONNECTED && n.Conn != nil {
			c.start(n, c.firstRequest(n.Name), backlog)
		}
	}
	var limit, sent uint64
	if req.GetFirst() {
		limit = req.GetNumber()
	}
	for {
		for _, r := range c.merger.Pop(time.Now()) {
			if err := send(r); err != nil {
				return err
			}
			if r.GetFlow() != nil {
				if sent++; limit > 0 && sent >= limit {
					return nil
				}
			}
		}
		if !req.GetFollow() && c.merger.Drained() {
			return nil
		}
		var changes <-chan struct{}
		if req.GetFollow() {
			changes = changed
		}
		if !c.wait(changes) {
			return nil // the client went away
		}
		if req.GetFollow() {
			select {
			case <-changed:
				nodes, changed = s.nodes.Nodes()
				c.nodesChanged(nodes)
			default:
			}
		}
	}
}

// wait returns when the window may have something to send, its deadline
// passed or changes closed; false when the call ended.
func (c *mergedCall) wait(changes <-chan struct{}) bool {
	var timeout <-chan time.Time
	if d, ok := c.merger.Deadline(); ok {
		t := time.NewTimer(time.Until(d))
		defer t.Stop()
		timeout = t.C
	}
	select {
	case <-c.ctx.Done():
		return false
	case <-c.merger.Wake():
	case <-timeout:
	case <-changes:
	}
	return true
}

// nodesChanged reports state changes and streams from nodes that are newly
// connected, or connected again on a new connection.
func (c *mergedCall) nodesChanged(nodes []peers.Node) {
	for _, n := range nodes {
		c.reported.change(n.Name, n.State, n.LastError)
		if n.State == observerpb.NodeState_NODE_CONNECTED && n.Conn != nil && c.streaming[n.Name] != n.Gen {
			c.start(n, c.joinRequest(), false)
		}
	}
}

// start reads n's stream in a goroutine of the call.
func (c *mergedCall) start(n peers.Node, req *observerpb.GetFlowsRequest, backlog bool) {
	c.streaming[n.Name] = n.Gen
	// Each connection is its own source: an old stream ending must not
	// close the window to the new one.
	src := fmt.Sprintf("%s#%d", n.Name, n.Gen)
	if backlog {
		c.merger.OpenBacklog(src)
	} else {
		c.merger.Open(src)
	}
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		defer c.merger.Close(src)
		err := readNode(c.ctx, n, req, func(r *observerpb.GetFlowsResponse) error {
			return c.merger.Push(c.ctx, src, r)
		})
		if err != nil && c.ctx.Err() == nil {
			c.s.nodes.ReportFailure(n.Name, n.Gen)
			c.reported.change(n.Name, observerpb.NodeState_NODE_UNAVAILABLE, peers.ErrorText(err))
		}
	}()
}

// firstRequest is what a node connected at the start is asked.
func (c *mergedCall) firstRequest(node string) *observerpb.GetFlowsRequest {
	if c.resume == nil {
		return c.req
	}
	r := proto.Clone(c.req).(*observerpb.GetFlowsRequest)
	r.Since = c.resume.since(node)
	return r
}

// joinRequest is what a node that connects during a follow is asked: its
// flows from where the merged stream is, so that they fit in its order.
func (c *mergedCall) joinRequest() *observerpb.GetFlowsRequest {
	r := proto.Clone(c.req).(*observerpb.GetFlowsRequest)
	r.Number, r.First = 0, false
	switch w, ok := c.merger.Watermark(); {
	case ok:
		r.Since = timestamppb.New(w)
	case r.Since == nil:
		r.Since = timestamppb.New(c.started)
	}
	return r
}
