package sink

import "sync"

// nodeState is what the sink knows of one node's flows: the newest time
// written or queued, and the ids of the flows within a slack of it.
type nodeState struct {
	mu sync.Mutex
	// loaded says ClickHouse's view of the node has been merged in.
	loaded bool
	newest int64
	// Ids live in two generations: cur since curFrom, prev the one
	// before. When newest passes curFrom by more than a slack, prev is
	// forgotten and cur becomes prev, so an id is kept at least until
	// newest is a slack past its time, and at most about two slacks.
	cur, prev map[uint64]struct{}
	curFrom   int64
	// misnamed says a flow came with another node name than the one it
	// was offered under (logged once).
	misnamed bool
}

func newNodeState() *nodeState {
	return &nodeState{cur: map[uint64]struct{}{}, prev: map[uint64]struct{}{}}
}

// node returns the state of a node, making it on first use.
func (s *Sink) node(name string) *nodeState {
	if n, ok := s.nodes.Load(name); ok {
		return n.(*nodeState)
	}
	n, _ := s.nodes.LoadOrStore(name, newNodeState())
	return n.(*nodeState)
}

func (n *nodeState) seen(id uint64) bool {
	if _, ok := n.cur[id]; ok {
		return true
	}
	_, ok := n.prev[id]
	return ok
}

// remember records a written or queued flow and forgets the ids that fell
// out of the window.
func (n *nodeState) remember(id uint64, ns, slack int64) {
	if ns > n.newest {
		n.newest = ns
	}
	if n.newest-n.curFrom > slack {
		clear(n.prev)
		n.prev, n.cur = n.cur, n.prev
		n.curFrom = n.newest
	}
	n.cur[id] = struct{}{}
}

// resume is the time from which the node's flows should be read again:
// zero when nothing of it is known.
func (n *nodeState) resume(slack int64) int64 {
	if n.newest == 0 {
		return 0
	}
	return max(n.newest-slack, 1)
}
