package sink

import (
	"context"
	"fmt"
	"time"

	"github.com/loupe-dev/loupe/query/schema"
)

// Since is the time from which the relay should read node's flows again
// after a (re)connect: the newest written or queued, minus the slack; zero
// means everything the node holds. The first call for a node asks
// ClickHouse, and fails only if it cannot: the caller should retry later
// rather than read everything again. Later calls answer from memory.
func (s *Sink) Since(ctx context.Context, node string) (time.Time, error) {
	n := s.node(node)
	n.mu.Lock()
	loaded := n.loaded
	n.mu.Unlock()
	if !loaded {
		newest, ids, err := s.load(ctx, node)
		if err != nil {
			return time.Time{}, fmt.Errorf("resume point of node %q: %w", node, err)
		}
		n.mu.Lock()
		n.merge(newest, ids, int64(s.cfg.Slack))
		n.mu.Unlock()
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	ns := n.resume(int64(s.cfg.Slack))
	if ns == 0 {
		return time.Time{}, nil
	}
	return time.Unix(0, ns).UTC(), nil
}

// stored is one flow's key as ClickHouse holds it.
type stored struct {
	TimeNs uint64 `ch:"time_ns"`
	ID     uint64 `ch:"id"`
}

// load reads the newest time stored for node and the ids within the slack
// before it.
func (s *Sink) load(ctx context.Context, node string) (int64, []stored, error) {
	conn := s.cfg.Store.Conn()
	newest, err := s.newest(ctx, node)
	if err != nil || newest == 0 {
		return 0, nil, err
	}
	from := max(int64(newest)-int64(s.cfg.Slack), 0)
	var ids []stored
	// The condition on time prunes partitions and granules; time_ns is
	// the exact one.
	q := "SELECT time_ns, id FROM " + schema.FlowsTable +
		" WHERE node_name = ? AND time >= toDateTime(?) AND time_ns >= ?"
	if err := conn.Select(ctx, &ids, q, node, from/1e9, uint64(from)); err != nil {
		return 0, nil, fmt.Errorf("recent ids: %w", err)
	}
	return int64(newest), ids, nil
}

// newestWindows are where newest looks first: a relay is usually back
// within minutes, and the table's key (15-minute buckets first) and its
// day partitions let a recent window skip the rest of the history.
var newestWindows = []string{"time >= now() - INTERVAL 15 MINUTE", "time >= now() - INTERVAL 1 DAY", "1"}

// newest is the newest time_ns stored for node, 0 if none.
func (s *Sink) newest(ctx context.Context, node string) (uint64, error) {
	for _, w := range newestWindows {
		var ns uint64
		q := "SELECT max(time_ns) FROM " + schema.FlowsTable + " WHERE node_name = ? AND " + w
		if err := s.cfg.Store.Conn().QueryRow(ctx, q, node).Scan(&ns); err != nil {
			return 0, fmt.Errorf("newest flow: %w", err)
		}
		if ns > 0 {
			return ns, nil
		}
	}
	return 0, nil
}

// merge adds what ClickHouse holds to what the sink has seen since it
// started (the relay may have offered flows before asking).
func (n *nodeState) merge(newest int64, ids []stored, slack int64) {
	if n.loaded {
		return
	}
	n.loaded = true
	if newest > n.newest {
		n.newest = newest
		n.curFrom = max(n.curFrom, newest-slack)
	}
	for _, r := range ids {
		n.cur[r.ID] = struct{}{}
	}
}
