package main

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"google.golang.org/grpc"

	agentpb "github.com/loupe-dev/loupe/api/agent"
	"github.com/loupe-dev/loupe/api/observer"
	"github.com/loupe-dev/loupe/cmd/loupe/internal/printer"
)

// queryOptions are the flags of the one-call commands: status and lists.
type queryOptions struct {
	server  string
	output  string
	timeout time.Duration
}

func (q *queryOptions) addFlags(cmd *cobra.Command) { q.addFlagsFor(cmd, defaultServer) }

// addFlagsFor adds the flags with server as --server's default.
func (q *queryOptions) addFlagsFor(cmd *cobra.Command, server string) {
	cmd.Flags().StringVar(&q.server, "server", server, serverFlagHelp)
	cmd.Flags().StringVarP(&q.output, "output", "o", printer.ListFormats[0], "Output `FORMAT`: "+strings.Join(printer.ListFormats, ", "))
	cmd.Flags().DurationVar(&q.timeout, "timeout", 5*time.Second, "How long to wait for the server's answer")
}

// call checks the flags, connects and runs fn with a deadline of --timeout.
func (q *queryOptions) call(ctx context.Context, fn func(context.Context, *grpc.ClientConn) error) error {
	if !slices.Contains(printer.ListFormats, q.output) {
		return badInput("--output %q: want one of %s", q.output, strings.Join(printer.ListFormats, ", "))
	}
	conn, err := connect(ctx, q.server, q.timeout)
	if err != nil {
		return err
	}
	defer conn.Close()
	ctx, cancel := context.WithTimeout(ctx, q.timeout)
	defer cancel()
	if err := fn(ctx, conn); err != nil {
		return rpcError(q.server, err)
	}
	return nil
}

func newStatusCmd() *cobra.Command {
	q := &queryOptions{}
	cmd := &cobra.Command{
		Use:   "status",
		Short: "Show the flow buffer, loss and health of an agent or the relay (with its nodes)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var resp *observer.ServerStatusResponse
			if err := q.call(cmd.Context(), func(ctx context.Context, conn *grpc.ClientConn) (err error) {
				resp, err = observer.NewObserverClient(conn).ServerStatus(ctx, &observer.ServerStatusRequest{})
				return err
			}); err != nil {
				return err
			}
			return printer.WriteStatus(cmd.OutOrStdout(), resp, q.output)
		},
	}
	q.addFlags(cmd)
	return cmd
}

func newEndpointCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:     "endpoint",
		Aliases: []string{"endpoints", "ep"},
		Short:   "Inspect the workloads an agent manages",
	}
	q := &queryOptions{}
	list := &cobra.Command{
		Use:   "list",
		Short: "List endpoints: id, workload, identity, interface, addresses, labels, state",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var resp *agentpb.ListEndpointsResponse
			if err := q.call(cmd.Context(), func(ctx context.Context, conn *grpc.ClientConn) (err error) {
				resp, err = agentpb.NewAgentClient(conn).ListEndpoints(ctx, &agentpb.ListEndpointsRequest{})
				return err
			}); err != nil {
				return err
			}
			return printer.WriteEndpoints(cmd.OutOrStdout(), resp, q.output)
		},
	}
	q.addFlags(list)
	cmd.AddCommand(list)
	return cmd
}

func newIdentityCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:     "identity",
		Aliases: []string{"identities", "id"},
		Short:   "Inspect the security identities an agent allocated",
	}
	q := &queryOptions{}
	list := &cobra.Command{
		Use:   "list",
		Short: "List identities: number, labels, local endpoints, reserved or not",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var resp *agentpb.ListIdentitiesResponse
			if err := q.call(cmd.Context(), func(ctx context.Context, conn *grpc.ClientConn) (err error) {
				resp, err = agentpb.NewAgentClient(conn).ListIdentities(ctx, &agentpb.ListIdentitiesRequest{})
				return err
			}); err != nil {
				return err
			}
			return printer.WriteIdentities(cmd.OutOrStdout(), resp, q.output)
		},
	}
	q.addFlags(list)
	cmd.AddCommand(list)
	return cmd
}
