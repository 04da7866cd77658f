// Package printer renders Observer API responses for people and scripts:
// the formats of `loupe observe -o`, and the tables of `loupe status`,
// `loupe endpoint list` and `loupe identity list`.
package printer

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/loupe-dev/loupe/api/flow"
	"github.com/loupe-dev/loupe/api/observer"
)

// Formats are the names New accepts, the first being the default.
var Formats = []string{"compact", "json", "jsonpb", "table", "dict"}

// Options tune how flows are rendered.
type Options struct {
	// Location is the time zone of printed times; nil means the local one.
	Location *time.Location
	// PrintPolicyNames appends "BY name,..." after the verdict when the flow
	// names the policies that decided it.
	PrintPolicyNames bool
	// Stream writes every table row as it arrives, aligned to the widest
	// cells seen so far, instead of aligning all rows at Close. For --follow.
	Stream bool
}

// Printer writes GetFlowsResponses in one format. It is not safe for
// concurrent use.
type Printer struct {
	opts Options
	out  formatter
}

// formatter is one output format.
type formatter interface {
	flow(r *observer.GetFlowsResponse, f *flow.Flow) error
	lost(r *observer.GetFlowsResponse, l *flow.LostEvent) error
	nodeStatus(r *observer.GetFlowsResponse, s *observer.NodeStatusEvent) error
	close() error
}

// New returns a printer of format (one of Formats) writing to w.
func New(w io.Writer, format string, opts Options) (*Printer, error) {
	if opts.Location == nil {
		opts.Location = time.Local
	}
	p := &Printer{opts: opts}
	switch format {
	case "compact":
		p.out = &compact{p: p, w: w}
	case "json", "jsonpb":
		// jsonpb is kept for hubble users' fingers: both print the whole
		// response, one object per line.
		p.out = &jsonLines{w: w}
	case "table":
		p.out = newTable(p, w)
	case "dict":
		p.out = &dict{p: p, w: w}
	default:
		return nil, fmt.Errorf("unknown output format %q: want one of %s", format, strings.Join(Formats, ", "))
	}
	return p, nil
}

// WriteResponse writes one flow, lost-event or node status record; other
// responses (from a newer server) are skipped.
func (p *Printer) WriteResponse(r *observer.GetFlowsResponse) error {
	switch {
	case r.GetFlow() != nil:
		return p.out.flow(r, r.GetFlow())
	case r.GetLostEvents() != nil:
		return p.out.lost(r, r.GetLostEvents())
	case r.GetNodeStatus() != nil:
		return p.out.nodeStatus(r, r.GetNodeStatus())
	}
	return nil
}

// Close flushes what the format holds back (the table's alignment).
func (p *Printer) Close() error { return p.out.close() }
