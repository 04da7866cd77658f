package observer

import (
	"sync"

	observerpb "github.com/loupe-dev/loupe/api/observer"
	"github.com/loupe-dev/loupe/relay/peers"
)

// reported is what one stream told its reader about the nodes' states, so
// that each change is said once, whoever notices it first (the peer
// manager, or a node's stream failing).
type reported struct {
	mu     sync.Mutex
	states map[string]observerpb.NodeState
	emit   func(*observerpb.GetFlowsResponse)
}

func newReported(emit func(*observerpb.GetFlowsResponse)) *reported {
	return &reported{states: map[string]observerpb.NodeState{}, emit: emit}
}

// initial says which nodes the stream covers and which it cannot reach;
// with announce false it only records that, for a stream that continues an
// answer which said it already.
func (r *reported) initial(nodes []peers.Node, announce bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	var connected []string
	for _, n := range nodes {
		r.states[n.Name] = n.State
		if !announce {
			continue
		}
		switch n.State {
		case observerpb.NodeState_NODE_CONNECTED:
			connected = append(connected, n.Name)
		case observerpb.NodeState_NODE_UNAVAILABLE:
			r.emit(statusResponse(n.State, []string{n.Name}, n.LastError))
		}
	}
	if len(connected) > 0 {
		r.emit(statusResponse(observerpb.NodeState_NODE_CONNECTED, connected, ""))
	}
}

// change says that node is now in state, unless that was said already.
// Nodes still connecting (unknown state) are not news.
func (r *reported) change(node string, state observerpb.NodeState, msg string) {
	if state == observerpb.NodeState_NODE_STATE_UNKNOWN {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.states[node] == state {
		return
	}
	r.states[node] = state
	r.emit(statusResponse(state, []string{node}, msg))
}
