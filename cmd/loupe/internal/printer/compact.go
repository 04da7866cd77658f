package printer

import (
	"io"
	"strings"

	"github.com/loupe-dev/loupe/api/flow"
	"github.com/loupe-dev/loupe/api/observer"
)

// compact prints one line per flow, like hubble observe:
//
//	Jan  2 15:04:05.000 [node-1]: shop/frontend:41234 (ID:1001) -> shop/catalog:8080 (ID:1002) to-endpoint FORWARDED (TCP Flags: SYN)
//
// A reply is printed from the client's side with the arrow reversed, so that
// a connection's packets read alike in both directions.
type compact struct {
	p *Printer
	w io.Writer
}

func (c *compact) flow(r *observer.GetFlowsResponse, f *flow.Flow) error {
	d := c.p.describe(r, f)
	var b strings.Builder
	b.WriteString(d.time)
	if d.node != "" {
		b.WriteString(" [" + d.node + "]")
	}
	b.WriteString(": ")
	if d.reply {
		b.WriteString(d.dest + " <- " + d.source)
	} else {
		b.WriteString(d.source + " -> " + d.dest)
	}
	b.WriteString(" " + d.typ + " " + d.verdictCell())
	if d.summary != "" {
		b.WriteString(" (" + d.summary + ")")
	}
	b.WriteByte('\n')
	_, err := io.WriteString(c.w, b.String())
	return err
}

func (c *compact) lost(_ *observer.GetFlowsResponse, l *flow.LostEvent) error {
	_, err := io.WriteString(c.w, "EVENTS LOST: "+lostSummary(l)+"\n")
	return err
}

// nodeStatus prints a relay's node status record as a line of its own:
//
//	Jan  2 15:04:05.000: 1 node unavailable: node-b (connection refused)
func (c *compact) nodeStatus(r *observer.GetFlowsResponse, s *observer.NodeStatusEvent) error {
	_, err := io.WriteString(c.w, c.p.timestamp(r.GetTime())+": "+nodeStatusSummary(s)+"\n")
	return err
}

func (c *compact) close() error { return nil }
