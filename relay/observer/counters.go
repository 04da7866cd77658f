package observer

import (
	"sync/atomic"

	"github.com/loupe-dev/loupe/api/flow"
	observerpb "github.com/loupe-dev/loupe/api/observer"
)

// Stats are the server's counters since NewServer.
type Stats struct {
	// FlowsSent went out to clients, history included.
	FlowsSent uint64
	// SortWindowDrops were dropped by a merge for arriving after newer
	// flows went out (what clients see as RELAY_QUEUE lost events).
	SortWindowDrops uint64
}

type counters struct {
	flowsSent, sortWindowDrops atomic.Uint64
}

// Stats reads the counters.
func (s *Server) Stats() Stats {
	return Stats{FlowsSent: s.counters.flowsSent.Load(), SortWindowDrops: s.counters.sortWindowDrops.Load()}
}

// counted wraps a client's send so that what reaches it is counted.
func (s *Server) counted(send sendFunc) sendFunc {
	return func(r *observerpb.GetFlowsResponse) error {
		if err := send(r); err != nil {
			return err
		}
		if r.GetFlow() != nil {
			s.counters.flowsSent.Add(1)
		} else if l := r.GetLostEvents(); l.GetSource() == flow.LostEventSource_RELAY_QUEUE {
			s.counters.sortWindowDrops.Add(l.GetNumEventsLost())
		}
		return nil
	}
}
