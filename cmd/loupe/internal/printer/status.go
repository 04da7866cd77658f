package printer

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/loupe-dev/loupe/api/observer"
)

// ListFormats are the formats of status and list commands, the first being
// the default.
var ListFormats = []string{"table", "json"}

// WriteStatus prints an agent's or relay's ServerStatus.
func WriteStatus(w io.Writer, s *observer.ServerStatusResponse, format string) error {
	switch format {
	case "json":
		return writeJSON(w, s)
	case "table":
	default:
		return unknownListFormat(format)
	}
	flows := fmt.Sprintf("%d/%d", s.GetNumFlows(), s.GetMaxFlows())
	if s.GetMaxFlows() > 0 {
		flows += fmt.Sprintf(" (%.2f%%)", 100*float64(s.GetNumFlows())/float64(s.GetMaxFlows()))
	}
	rows := [][2]string{
		{"Node", s.GetNodeName()},
		{"Version", s.GetVersion()},
		{"Uptime", time.Duration(s.GetUptimeNs()).Round(time.Second).String()},
		{"Flows (held/max)", flows},
		{"Flows seen", fmt.Sprint(s.GetSeenFlows())},
		{"Flow rate", fmt.Sprintf("%.2f flows/s", s.GetFlowsRate())},
		{"Lost events", fmt.Sprint(s.GetNumLostEvents())},
		{"Decode errors", fmt.Sprint(s.GetDecodeErrors())},
		{"Monitor aggregation", s.GetMonitorAggregation()},
	}
	if s.NumConnectedNodes != nil {
		// A relay, which is no node: say which nodes the figures cover.
		nodes := fmt.Sprintf("%d connected, %d unavailable", s.GetNumConnectedNodes(), s.GetNumUnavailableNodes())
		if len(s.GetUnavailableNodes()) > 0 {
			nodes += " (" + strings.Join(s.GetUnavailableNodes(), ", ") + ")"
		}
		rows[0] = [2]string{"Nodes", nodes}
	}
	if t := s.GetOldestFlowTime(); t != nil {
		rows = append(rows, [2]string{"Oldest flow", t.AsTime().Local().Format(time.DateTime)})
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, r := range rows {
		if r[1] == "" {
			r[1] = "-"
		}
		fmt.Fprintf(tw, "%s:\t%s\n", r[0], r[1])
	}
	return tw.Flush()
}

func unknownListFormat(format string) error {
	return fmt.Errorf("unknown output format %q: want table or json", format)
}
