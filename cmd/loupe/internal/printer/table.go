package printer

import (
	"io"
	"slices"
	"strings"
	"text/tabwriter"
	"unicode/utf8"

	"github.com/loupe-dev/loupe/api/flow"
	"github.com/loupe-dev/loupe/api/observer"
)

var tableHeader = []string{"TIME", "SOURCE", "DESTINATION", "TYPE", "VERDICT", "SUMMARY"}

// streamWidths are the least widths of streamed columns, wide enough for a
// typical "namespace/workload:port (ID:n)" so that columns rarely move.
var streamWidths = []int{19, 32, 32, 14, 9, 0}

// table prints aligned columns under one header. A tabwriter can only align
// what it holds, so rows wait for Close unless Options.Stream is set; then
// each row is written at once, padded to the widest cell seen so far.
type table struct {
	p      *Printer
	w      io.Writer
	tw     *tabwriter.Writer
	widths []int
	rows   int
}

const tablePadding = 3

func newTable(p *Printer, w io.Writer) *table {
	return &table{p: p, w: w, tw: tabwriter.NewWriter(w, 2, 0, tablePadding, ' ', 0)}
}

func (t *table) flow(r *observer.GetFlowsResponse, f *flow.Flow) error {
	d := t.p.describe(r, f)
	return t.row(d.time, d.source, d.dest, d.typ, d.verdictCell(), d.summary)
}

func (t *table) lost(r *observer.GetFlowsResponse, l *flow.LostEvent) error {
	return t.row(t.p.timestamp(r.GetTime()), "", "", "EVENTS LOST", "", lostSummary(l))
}

func (t *table) nodeStatus(r *observer.GetFlowsResponse, s *observer.NodeStatusEvent) error {
	return t.row(t.p.timestamp(r.GetTime()), "", "", "NODE STATUS", "", nodeStatusSummary(s))
}

func (t *table) row(cells ...string) error {
	first := t.rows == 0
	t.rows++
	if !t.p.opts.Stream {
		if first {
			if _, err := io.WriteString(t.tw, strings.Join(tableHeader, "\t")+"\n"); err != nil {
				return err
			}
		}
		_, err := io.WriteString(t.tw, strings.Join(cells, "\t")+"\n")
		return err
	}
	if first {
		t.widths = slices.Clone(streamWidths)
		t.grow(tableHeader)
		t.grow(cells)
		if _, err := io.WriteString(t.w, t.pad(tableHeader)); err != nil {
			return err
		}
	}
	t.grow(cells)
	_, err := io.WriteString(t.w, t.pad(cells))
	return err
}

func (t *table) grow(cells []string) {
	for i, c := range cells {
		t.widths[i] = max(t.widths[i], utf8.RuneCountInString(c))
	}
}

func (t *table) pad(cells []string) string {
	var b strings.Builder
	for i, c := range cells {
		b.WriteString(c)
		if i < len(cells)-1 {
			b.WriteString(strings.Repeat(" ", t.widths[i]-utf8.RuneCountInString(c)+tablePadding))
		}
	}
	return strings.TrimRight(b.String(), " ") + "\n"
}

func (t *table) close() error { return t.tw.Flush() }
