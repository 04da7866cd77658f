package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/connectivity"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/loupe-dev/loupe/api/observer"
	"github.com/loupe-dev/loupe/cmd/loupe/internal/printer"
	"github.com/loupe-dev/loupe/collector/filters"
)

// defaultLast is how many flows a bare `loupe observe` prints, as hubble.
const defaultLast = 20

// observeOptions is everything `loupe observe` was told, unvalidated.
type observeOptions struct {
	last, first      countFlag
	all, follow      bool
	since, until     string
	filters          []filterArg
	output           string
	server           string
	timeout          time.Duration
	printPolicyNames bool
}

// countFlag is a flow count (--last, --first): a positive number, and
// whether it was given at all.
type countFlag struct {
	n   uint64
	set bool
}

func (c *countFlag) Set(v string) error {
	n, err := parseCount(v)
	if err != nil {
		return err
	}
	c.n, c.set = n, true
	return nil
}

func parseCount(v string) (uint64, error) {
	n, err := strconv.ParseUint(v, 10, 64)
	if err != nil || n == 0 {
		return 0, errors.New("want a positive number")
	}
	return n, nil
}

func (c *countFlag) String() string {
	if !c.set {
		return ""
	}
	return strconv.FormatUint(c.n, 10)
}
func (c *countFlag) Type() string { return "N" }

const observeLong = `Observe flows from the local agent (default) or the relay.

Without --last, --first, --all, --follow, --since or --until, it prints the
last 20 flows in the buffer.

Filter flags: --from-X matches the source, --to-X the destination, and the
bare --X either side (it makes two filters, one per side, as hubble observe
does). Repeating a flag ORs its values; different flags AND. --not negates
the next filter flag: the negated flags together form the deny filter, and a
flow is shown if it matches the other flags and not the deny filter.

Times: --since and --until take a duration before now (30s, 5m, 2h, 1d,
1d12h), "now", or a time: RFC 3339 (2026-03-07T09:00:00Z), or
"2026-03-07 09:00:05", "2026-03-07 09:00", 2026-03-07 in the local zone.

Output (-o): compact (one line per flow), table (aligned columns), dict
(blocks of KEY: value), json (one GetFlowsResponse per line, for jq; jsonpb
is the same).`

const observeExample = `  loupe observe --last 100 --to-namespace shop --verdict DROPPED
  loupe observe -f --label app=catalog --protocol http --http-status 5+
  loupe observe --since 10m --from-ip 10.0.1.0/24 --not --to-port 53
  loupe observe --type trace:to-endpoint --tcp-flags SYN -o json | jq .flow.source`

func newObserveCmd() *cobra.Command {
	o := &observeOptions{}
	cmd := &cobra.Command{
		Use:     "observe",
		Short:   "Observe flows: the last ones, a time window, or live",
		Long:    observeLong,
		Example: observeExample,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			req, err := buildRequest(o, time.Now())
			if err != nil {
				return err
			}
			p, err := printer.New(cmd.OutOrStdout(), o.output, printer.Options{
				PrintPolicyNames: o.printPolicyNames,
				Stream:           req.GetFollow(),
			})
			if err != nil {
				return badInput("--output %q: want one of %s", o.output, strings.Join(printer.Formats, ", "))
			}
			return observe(cmd.Context(), o, req, p)
		},
	}
	addObserveFlags(cmd.Flags(), o)
	return cmd
}

func addObserveFlags(fs *pflag.FlagSet, o *observeOptions) {
	fs.SortFlags = false
	fs.Var(&o.last, "last", "Print the last `N` flows")
	fs.Var(&o.first, "first", "Print the first `N` flows in the buffer (or after --since)")
	fs.BoolVar(&o.all, "all", false, "Print every flow in the buffer")
	fs.BoolVarP(&o.follow, "follow", "f", false, "Keep printing flows as they arrive, until Ctrl-C")
	fs.StringVar(&o.since, "since", "", "Print flows since `TIME` (2h, 1d, 2026-03-07T09:00:00Z)")
	fs.StringVar(&o.until, "until", "", "Print flows until `TIME` (5m, 2026-03-07 09:30:00)")
	addFilterFlags(fs, &o.filters)
	fs.BoolVar(&o.printPolicyNames, "print-policy-names", false,
		"Print the names of the policies that allowed or denied each flow. Accepted now for scripts; flows name no policies until policy enforcement lands, so until then nothing is added")
	fs.StringVarP(&o.output, "output", "o", printer.Formats[0], "Output `FORMAT`: "+strings.Join(printer.Formats, ", "))
	fs.StringVar(&o.server, "server", defaultServer, serverFlagHelp)
	fs.DurationVar(&o.timeout, "timeout", 5*time.Second, "How long to wait for the connection to the server")
}

// buildRequest validates the command line and turns it into the request,
// without touching the network.
func buildRequest(o *observeOptions, now time.Time) (*observer.GetFlowsRequest, error) {
	req := &observer.GetFlowsRequest{Follow: o.follow}
	switch {
	case o.first.set && o.last.set:
		return nil, badInput("--first and --last cannot be combined")
	case o.first.set && o.follow:
		return nil, badInput("--first and --follow cannot be combined: --first reads the oldest flows")
	case o.all && (o.first.set || o.last.set):
		return nil, badInput("--all cannot be combined with --first or --last")
	case o.first.set:
		req.Number, req.First = o.first.n, true
	case o.last.set:
		req.Number = o.last.n
	case !o.all && !o.follow && o.since == "" && o.until == "":
		req.Number = defaultLast
	}
	if o.since != "" {
		t, err := parseTime(o.since, now)
		if err != nil {
			return nil, badInput("--since %q: %v", o.since, err)
		}
		req.Since = timestamppb.New(t)
	}
	if o.until != "" {
		t, err := parseTime(o.until, now)
		if err != nil {
			return nil, badInput("--until %q: %v", o.until, err)
		}
		req.Until = timestamppb.New(t)
	}
	if req.Since != nil && req.Until != nil && req.Since.AsTime().After(req.Until.AsTime()) {
		return nil, badInput("--since %q is after --until %q", o.since, o.until)
	}
	if o.follow && req.Until != nil {
		return nil, badInput("--follow and --until cannot be combined: a window that ends cannot be followed")
	}
	var err error
	if req.Allow, req.Deny, err = buildFilters(o.filters); err != nil {
		return nil, err
	}
	// Each flag was checked alone; this is the request as the server sees it.
	if _, err := filters.Compile(req.Allow, req.Deny); err != nil {
		return nil, badInput("filters: %v", err)
	}
	return req, nil
}

// observe streams the flows of req from the server into p.
func observe(ctx context.Context, o *observeOptions, req *observer.GetFlowsRequest, p *printer.Printer) (err error) {
	conn, err := connect(ctx, o.server, o.timeout)
	if err != nil {
		return err
	}
	defer conn.Close()
	stream, err := observer.NewObserverClient(conn).GetFlows(ctx, req)
	if err != nil {
		return rpcError(o.server, err)
	}
	defer func() {
		if cerr := p.Close(); err == nil && cerr != nil {
			err = fmt.Errorf("write output: %w", cerr)
		}
	}()
	for {
		resp, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			if ctx.Err() != nil {
				// Ctrl-C is how a --follow ends: not a failure.
				return nil
			}
			return rpcError(o.server, err)
		}
		if err := p.WriteResponse(resp); err != nil {
			return fmt.Errorf("write output: %w", err)
		}
	}
}

// connect dials server and waits up to timeout for the connection. A
// connection that fails outright is returned at once: the first call then
// reports why (no socket, refused) better than a timeout would.
func connect(ctx context.Context, server string, timeout time.Duration) (*grpc.ClientConn, error) {
	if timeout <= 0 {
		return nil, badInput("--timeout %s: want a positive duration", timeout)
	}
	conn, err := dial(server)
	if err != nil {
		return nil, err
	}
	wait, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	conn.Connect()
	for s := conn.GetState(); s != connectivity.Ready && s != connectivity.TransientFailure; s = conn.GetState() {
		if !conn.WaitForStateChange(wait, s) {
			conn.Close()
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			return nil, fmt.Errorf("connect to %s: no connection after %s", server, timeout)
		}
	}
	return conn, nil
}

// rpcError explains a failed call; a request the server refuses as invalid
// is bad input like any other.
func rpcError(server string, err error) error {
	st, ok := status.FromError(err)
	if !ok {
		return fmt.Errorf("%s: %w", server, err)
	}
	switch st.Code() {
	case codes.InvalidArgument:
		return badInput("%s refused the request: %s", server, st.Message())
	case codes.Unavailable:
		return fmt.Errorf("cannot reach %s: %s (is the agent running? see --server)", server, st.Message())
	}
	return fmt.Errorf("%s: %s: %s", server, st.Code(), st.Message())
}
