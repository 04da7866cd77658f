package main

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/loupe-dev/loupe/collector/peer"
	"github.com/loupe-dev/loupe/internal/mtls"
)

func newCertsCmd() *cobra.Command {
	var dir string
	var nodes []string
	cmd := &cobra.Command{
		Use:   "certs",
		Short: "Make a local CA and mutual-TLS certificates for agents and the relay",
		Long: `certs writes, into --dir, a local certificate authority (ca.crt, ca.key;
kept when it exists, so nodes can be added later), a server certificate per
node (<node>.crt, <node>.key; valid for the node name, 127.0.0.1, ::1 and
localhost) and the relay's client certificate (relay.crt, relay.key).

Agents serve with --tls-cert <node>.crt --tls-key <node>.key --tls-client-ca
ca.crt; the relay dials them with --tls-cert relay.crt --tls-key relay.key
--tls-ca ca.crt. For labs and tests: production clusters bring their own PKI.`,
		Example: `  loupe certs --dir /etc/loupe/tls --nodes node-a,node-b`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if dir == "" {
				return badInput("--dir: must not be empty")
			}
			if len(nodes) == 0 {
				return badInput("--nodes: name at least one node (--nodes node-a,node-b)")
			}
			for _, n := range nodes {
				if err := peer.CheckName(n); err != nil {
					return badInput("--nodes: %v", err)
				}
				if n == mtls.RelayName || n == "ca" {
					return badInput("--nodes: %q names the relay's or the CA's files: pick another node name", n)
				}
			}
			ca, err := mtls.LoadOrCreateCA(dir)
			if err != nil {
				return err
			}
			for _, n := range nodes {
				if err := ca.IssueServer(dir, n); err != nil {
					return err
				}
			}
			if err := ca.IssueClient(dir, mtls.RelayName); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "wrote %s: CA, relay and %s\n", filepath.Clean(dir), strings.Join(nodes, ", "))
			return nil
		},
	}
	cmd.Flags().StringVar(&dir, "dir", "", "directory for the CA and certificates (created 0700)")
	cmd.Flags().StringSliceVar(&nodes, "nodes", nil, "node names to make server certificates for, comma-separated")
	return cmd
}
