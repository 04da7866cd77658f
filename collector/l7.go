package collector

import (
	"context"

	"github.com/loupe-dev/loupe/api/flow"
	"github.com/loupe-dev/loupe/collector/ring"
)

// defaultL7Queue bounds the L7 flows waiting between the proxy and the
// flow ring.
const defaultL7Queue = 4096

// EmitL7 takes an L7 flow from the node's proxy. It never blocks: when the
// queue is full the flow is dropped and counted, and the count reaches
// readers as an L7_PROXY lost-event record.
func (c *Collector) EmitL7(f *flow.Flow) {
	select {
	case c.l7 <- f:
	default:
		c.l7Lost.Add(1)
	}
}

// l7Loop completes L7 flows (id, node, endpoints) and writes them to the
// ring, on its own parser.
func (c *Collector) l7Loop(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case f := <-c.l7:
			c.l7parser.Complete(f)
			if c.cfg.Observer != nil {
				c.cfg.Observer.Observe(f)
			}
			c.ring.Write(ring.Entry{TimeNs: f.GetTime().AsTime().UnixNano(), Flow: f})
			c.seen.Add(1)
		}
	}
}
