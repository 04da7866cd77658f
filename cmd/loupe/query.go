package main

import (
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/loupe-dev/loupe/query/incident"
)

// defaultQueryServer is the relay's HTTP listener.
const defaultQueryServer = "127.0.0.1:4246"

// queryFormats are the outputs of `loupe query`.
var queryFormats = []string{"table", "json"}

// incidentOptions is everything `loupe query` was told, unvalidated.
type incidentOptions struct {
	since, until        string
	by, sort            string
	namespace, workload string
	limit               int
	output              string
	server              string
	timeout             time.Duration
}

func incidentLong() string {
	var b strings.Builder
	b.WriteString(`Ask the relay what happened in a time window, from the per-minute rollups
in ClickHouse: fast over hours or days. Windows are widened to whole minutes.

Kinds:
`)
	for _, k := range incident.Kinds {
		fmt.Fprintf(&b, "  %-12s %s", k.Name, k.Description)
		if len(k.By) > 0 {
			fmt.Fprintf(&b, " (--by %s)", strings.Join(k.By, "|"))
		}
		b.WriteString("\n")
	}
	b.WriteString(`
--namespace and --workload keep the traffic with either side in that
namespace or of that workload (a service: the workload, or the labels of a
peer that is not one). Times: --since and --until take a duration before
now (30s, 5m, 2h, 1d), "now", or a time (2026-03-07T09:00:00Z,
"2026-03-07 09:00").`)
	return b.String()
}

const incidentExample = `  loupe query service-map --since 1h -o table
  loupe query top-talkers --since 24h --by workload
  loupe query drops --since 6h --by reason
  loupe query dns-errors --since 1h
  loupe query http --since 1h --by service --namespace shop`

func newQueryCmd() *cobra.Command {
	o := &incidentOptions{}
	cmd := &cobra.Command{
		Use:     "query KIND",
		Short:   "Incident queries over history: service map, top talkers, drops, DNS errors, HTTP",
		Long:    incidentLong(),
		Example: incidentExample,
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) != 1 {
				return badInput("want one query kind: %s", strings.Join(incident.KindNames(), ", "))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			u, err := incidentURL(o, args[0], time.Now())
			if err != nil {
				return err
			}
			return runIncidentQuery(cmd, o, args[0], u)
		},
	}
	fs := cmd.Flags()
	fs.SortFlags = false
	fs.StringVar(&o.since, "since", "1h", "Start of the window: `TIME` (2h, 1d, 2026-03-07T09:00:00Z)")
	fs.StringVar(&o.until, "until", "now", "End of the window: `TIME`")
	fs.StringVar(&o.by, "by", "", "Group by `DIMENSION` (per kind: see above)")
	fs.StringVar(&o.sort, "sort", "", "Rank service-map and top-talkers by `METRIC`: bytes or flows")
	fs.StringVar(&o.namespace, "namespace", "", "Only traffic with either side in `NAMESPACE`")
	fs.StringVar(&o.workload, "workload", "", "Only traffic with either side of `WORKLOAD`")
	fs.IntVar(&o.limit, "limit", 0, fmt.Sprintf("At most `N` rows, 1 to %d (default: per kind)", incident.MaxLimit))
	fs.StringVarP(&o.output, "output", "o", queryFormats[0], "Output `FORMAT`: "+strings.Join(queryFormats, ", "))
	fs.StringVar(&o.server, "server", defaultQueryServer, "relay HTTP `ADDRESS`: host:port (plaintext on loopback only) or https://host:port")
	fs.DurationVar(&o.timeout, "timeout", 40*time.Second, "How long to wait for the answer")
	return cmd
}

// incidentURL validates the command line and builds the request's URL,
// without touching the network.
func incidentURL(o *incidentOptions, kindName string, now time.Time) (*url.URL, error) {
	kind, err := incident.LookupKind(kindName)
	if err != nil {
		return nil, badInput("query kind %q: want one of %s", kindName, strings.Join(incident.KindNames(), ", "))
	}
	since, err := parseTime(o.since, now)
	if err != nil {
		return nil, badInput("--since %q: %v", o.since, err)
	}
	until, err := parseTime(o.until, now)
	if err != nil {
		return nil, badInput("--until %q: %v", o.until, err)
	}
	if !since.Before(until) {
		return nil, badInput("--since %q is not before --until %q", o.since, o.until)
	}
	if o.by != "" && !slices.Contains(kind.By, o.by) {
		if len(kind.By) == 0 {
			return nil, badInput("--by %q: query %s takes no --by", o.by, kind.Name)
		}
		return nil, badInput("--by %q: query %s takes --by %s", o.by, kind.Name, strings.Join(kind.By, ", "))
	}
	if o.sort != "" && !slices.Contains(kind.Sort, o.sort) {
		if len(kind.Sort) == 0 {
			return nil, badInput("--sort %q: query %s takes no --sort", o.sort, kind.Name)
		}
		return nil, badInput("--sort %q: query %s takes --sort %s", o.sort, kind.Name, strings.Join(kind.Sort, ", "))
	}
	if o.limit < 0 || o.limit > incident.MaxLimit {
		return nil, badInput("--limit %d: want 1 to %d", o.limit, incident.MaxLimit)
	}
	if !slices.Contains(queryFormats, o.output) {
		return nil, badInput("--output %q: want one of %s", o.output, strings.Join(queryFormats, ", "))
	}
	if o.timeout <= 0 {
		return nil, badInput("--timeout %s: want a positive duration", o.timeout)
	}
	base, err := queryServerURL(o.server)
	if err != nil {
		return nil, err
	}
	q := url.Values{}
	q.Set("since", since.UTC().Format(time.RFC3339Nano))
	q.Set("until", until.UTC().Format(time.RFC3339Nano))
	for name, v := range map[string]string{"by": o.by, "sort": o.sort, "namespace": o.namespace, "workload": o.workload} {
		if v != "" {
			q.Set(name, v)
		}
	}
	if o.limit > 0 {
		q.Set("limit", strconv.Itoa(o.limit))
	}
	u := base.JoinPath("/api/v1/query", kind.Name)
	u.RawQuery = q.Encode()
	return u, nil
}
