package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/loupe-dev/loupe/query/incident"
)

// incidentColumn is one column of a `loupe query` table.
type incidentColumn[T any] struct {
	header string
	value  func(T) string
}

// writeIncidentTable decodes a query's answer and prints it aligned; notes
// (nothing found, rows cut by --limit) go to errw.
func writeIncidentTable(w, errw io.Writer, kind string, body []byte) error {
	decode := func(v any) error {
		if err := json.Unmarshal(body, v); err != nil {
			return fmt.Errorf("decode the %s answer: %w", kind, err)
		}
		return nil
	}
	switch kind {
	case "service-map":
		var m incident.ServiceMap
		if err := decode(&m); err != nil {
			return err
		}
		return writeIncidentRows(w, errw, m.Window, m.Truncated, "traffic", edgeColumns, m.Edges)
	case "top-talkers":
		var t incident.TopTalkers
		if err := decode(&t); err != nil {
			return err
		}
		return writeIncidentRows(w, errw, t.Window, t.Truncated, "traffic", talkerColumns(t.By), t.Talkers)
	case "drops":
		var d incident.Drops
		if err := decode(&d); err != nil {
			return err
		}
		return writeIncidentRows(w, errw, d.Window, d.Truncated, "dropped flows", dropColumns(d.By), d.Drops)
	case "dns-errors":
		var d incident.DNSErrors
		if err := decode(&d); err != nil {
			return err
		}
		return writeIncidentRows(w, errw, d.Window, d.Truncated, "DNS errors", dnsErrorColumns, d.Errors)
	case "http":
		var h incident.HTTPStats
		if err := decode(&h); err != nil {
			return err
		}
		return writeIncidentRows(w, errw, h.Window, h.Truncated, "HTTP traffic", httpColumns(h.By), h.Rows)
	}
	return fmt.Errorf("no table for query kind %s", kind)
}

func writeIncidentRows[T any](w, errw io.Writer, win incident.Window, truncated bool, what string, cols []incidentColumn[T], rows []T) error {
	if len(rows) == 0 {
		fmt.Fprintf(errw, "No %s between %s and %s.\n", what, win.Since.Local().Format(time.DateTime), win.Until.Local().Format(time.DateTime))
		return nil
	}
	tw := tabwriter.NewWriter(w, 0, 0, 3, ' ', 0)
	cells := make([]string, len(cols))
	for i, c := range cols {
		cells[i] = c.header
	}
	fmt.Fprintln(tw, strings.Join(cells, "\t"))
	for _, r := range rows {
		for i, c := range cols {
			// An empty cell prints as "-" so that columns stay countable.
			if cells[i] = c.value(r); cells[i] == "" {
				cells[i] = "-"
			}
		}
		fmt.Fprintln(tw, strings.Join(cells, "\t"))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if truncated {
		fmt.Fprintf(errw, "More rows than the %d shown: raise --limit or narrow the window.\n", len(rows))
	}
	return nil
}

// cleanCell keeps a cell on one line and one column: flow data is
// attacker-controlled, and a tab or newline would shift the table.
func cleanCell(s string) string {
	return strings.Map(func(r rune) rune {
		if r < ' ' || r == 0x7f {
			return '?'
		}
		return r
	}, s)
}

func fmtService(namespace, service string) string {
	if namespace == "" {
		return cleanCell(service)
	}
	return cleanCell(namespace + "/" + service)
}

func fmtCount(n uint64) string { return strconv.FormatUint(n, 10) }

func fmtPercent(f float64) string { return strconv.FormatFloat(f*100, 'f', 1, 64) + "%" }

func fmtMillis(ms float64) string { return strconv.FormatFloat(ms, 'f', 1, 64) + "ms" }

// fmtBytes prints bytes in IEC units, one decimal.
func fmtBytes(n uint64) string {
	const unit = 1024
	if n < unit {
		return strconv.FormatUint(n, 10) + "B"
	}
	v, i := float64(n), 0
	for v >= unit && i < 5 {
		v /= unit
		i++
	}
	return strconv.FormatFloat(v, 'f', 1, 64) + []string{"", "KiB", "MiB", "GiB", "TiB", "PiB"}[i]
}

func fmtPort(p uint16) string {
	if p == 0 {
		return ""
	}
	return strconv.Itoa(int(p))
}
