package printer

import (
	"fmt"
	"io"
	"strings"

	"github.com/loupe-dev/loupe/api/flow"
	"github.com/loupe-dev/loupe/api/observer"
)

const dictSeparator = "------------"

// dict prints one block of "KEY: value" lines per record, keys aligned,
// blocks separated by a line of dashes; optional keys appear only when the
// flow has them.
type dict struct {
	p       *Printer
	w       io.Writer
	records int
}

type entry struct{ key, value string }

func (d *dict) flow(r *observer.GetFlowsResponse, f *flow.Flow) error {
	x := d.p.describe(r, f)
	entries := []entry{
		{"TIME", x.time},
		{"NODE", x.node},
		{"SOURCE", x.source},
		{"DESTINATION", x.dest},
		{"TYPE", x.typ},
		{"VERDICT", x.verdict},
		{"DROP REASON", x.dropReason},
		{"POLICIES", strings.TrimPrefix(x.policies, "BY ")},
		{"DIRECTION", x.direction},
		{"REPLY", yesIf(x.reply)},
		{"TRACE ID", f.GetTraceContext().GetTraceId()},
		{"SUMMARY", x.summary},
	}
	return d.block(entries)
}

func (d *dict) lost(r *observer.GetFlowsResponse, l *flow.LostEvent) error {
	return d.block([]entry{
		{"TIME", d.p.timestamp(r.GetTime())},
		{"NODE", r.GetNodeName()},
		{"EVENTS LOST", lostSummary(l)},
	})
}

func (d *dict) nodeStatus(r *observer.GetFlowsResponse, s *observer.NodeStatusEvent) error {
	return d.block([]entry{
		{"TIME", d.p.timestamp(r.GetTime())},
		{"NODE STATUS", nodeStatusSummary(s)},
	})
}

func (d *dict) block(entries []entry) error {
	var b strings.Builder
	if d.records > 0 {
		b.WriteString(dictSeparator + "\n")
	}
	d.records++
	for _, e := range entries {
		if e.value == "" {
			continue
		}
		fmt.Fprintf(&b, "%11s: %s\n", e.key, e.value)
	}
	_, err := io.WriteString(d.w, b.String())
	return err
}

func (d *dict) close() error { return nil }

func yesIf(b bool) string {
	if b {
		return "yes"
	}
	return ""
}
