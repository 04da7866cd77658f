package main

import (
	"context"

	"github.com/spf13/cobra"
	"google.golang.org/grpc"

	"github.com/loupe-dev/loupe/api/observer"
	"github.com/loupe-dev/loupe/cmd/loupe/internal/printer"
)

func newNodesCmd() *cobra.Command {
	q := &queryOptions{}
	cmd := &cobra.Command{
		Use:   "nodes",
		Short: "List the cluster's nodes as the relay sees them: state, address, flows, version",
		Long: `nodes lists every node the relay knows: connected, unavailable (the relay
keeps retrying; ERROR says why) or gone (it left the cluster). Against an
agent it lists that one node.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var resp *observer.GetNodesResponse
			if err := q.call(cmd.Context(), func(ctx context.Context, conn *grpc.ClientConn) (err error) {
				resp, err = observer.NewObserverClient(conn).GetNodes(ctx, &observer.GetNodesRequest{})
				return err
			}); err != nil {
				return err
			}
			return printer.WriteNodes(cmd.OutOrStdout(), resp, q.output)
		},
	}
	q.addFlagsFor(cmd, defaultRelayServer)
	return cmd
}
