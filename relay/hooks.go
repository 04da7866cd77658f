package relay

import (
	"context"
	"time"

	"github.com/loupe-dev/loupe/api/flow"
	"github.com/loupe-dev/loupe/api/observer"
)

// History answers the part of a request that the live buffers no longer hold.
type History interface {
	// Flows sends, in time order, the flows of [since, until) that pass req's filters
	// and, when req.Until is set, are not after it (inclusive, as in the live ring);
	// req.Number/First apply as in GetFlows. It returns when done.
	Flows(ctx context.Context, req *observer.GetFlowsRequest, until time.Time, send func(*flow.Flow) error) error
}

// Archive stores every flow of every node (the ClickHouse sink implements it).
type Archive interface {
	// Since says from when to re-read a node's flows after a (re)connect; zero means all the node holds.
	Since(ctx context.Context, node string) (time.Time, error)
	// Offer hands over one flow; it never blocks; the archive de-duplicates and counts.
	Offer(node string, f *flow.Flow)
}
