package main

import (
	"context"
	"fmt"
	"os"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"

	agentpb "github.com/loupe-dev/loupe/api/agent"
)

// policyClient dials the agent for a policy subcommand.
func policyClient(server string) (agentpb.AgentClient, func(), error) {
	conn, err := dial(server)
	if err != nil {
		return nil, nil, err
	}
	return agentpb.NewAgentClient(conn), func() { conn.Close() }, nil
}

// agentError turns an agent's refusal of bad input into a usage error.
func agentError(err error) error {
	if s, ok := status.FromError(err); ok {
		switch s.Code() {
		case codes.InvalidArgument, codes.NotFound:
			return badInput("%s", s.Message())
		case codes.Unavailable:
			return fmt.Errorf("agent unavailable (is 'loupe agent' running?): %s", s.Message())
		}
		return fmt.Errorf("agent: %s", s.Message())
	}
	return err
}

// addAgentPolicyCmds adds the subcommands that talk to the agent.
func addAgentPolicyCmds(root *cobra.Command) {
	var server string
	var timeout time.Duration
	flags := func(c *cobra.Command) *cobra.Command {
		c.Flags().StringVar(&server, "server", defaultServer, serverFlagHelp)
		c.Flags().DurationVar(&timeout, "timeout", 30*time.Second, "how long to wait for the agent")
		return c
	}
	root.AddCommand(flags(&cobra.Command{
		Use:   "apply FILE...",
		Short: "Apply the policies of files; returns once the datapath enforces them",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			// Read every file first: a missing one changes nothing.
			contents := make([][]byte, len(args))
			for i, f := range args {
				b, err := os.ReadFile(f)
				if err != nil {
					return badInput("%v", err)
				}
				contents[i] = b
			}
			c, done, err := policyClient(server)
			if err != nil {
				return err
			}
			defer done()
			for i, f := range args {
				ctx, cancel := context.WithTimeout(cmd.Context(), timeout)
				rev, err := c.ApplyPolicy(ctx, &agentpb.ApplyPolicyRequest{File: f, Content: contents[i]})
				cancel()
				if err != nil {
					return agentError(err)
				}
				fmt.Fprintf(cmd.OutOrStdout(), "%s: %d policies applied, revision %d enforced\n", f, len(rev.GetPolicies()), rev.GetRevision())
			}
			return nil
		},
	}))
	root.AddCommand(flags(&cobra.Command{
		Use:   "delete NAMESPACE/NAME",
		Short: "Delete a policy",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ns, name := splitPolicyName(args[0])
			c, done, err := policyClient(server)
			if err != nil {
				return err
			}
			defer done()
			ctx, cancel := context.WithTimeout(cmd.Context(), timeout)
			defer cancel()
			rev, err := c.DeletePolicy(ctx, &agentpb.DeletePolicyRequest{Namespace: ns, Name: name})
			if err != nil {
				return agentError(err)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s deleted, revision %d enforced\n", args[0], rev.GetRevision())
			return nil
		},
	}))
	var output string
	list := flags(&cobra.Command{
		Use:     "list",
		Aliases: []string{"get"},
		Short:   "List the enforced policies and the revision",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if output != "table" && output != "json" {
				return badInput("-o %q: want table or json", output)
			}
			c, done, err := policyClient(server)
			if err != nil {
				return err
			}
			defer done()
			ctx, cancel := context.WithTimeout(cmd.Context(), timeout)
			defer cancel()
			resp, err := c.ListPolicies(ctx, &agentpb.ListPoliciesRequest{})
			if err != nil {
				return agentError(err)
			}
			if output == "json" {
				b, err := protojson.Marshal(resp)
				if err != nil {
					return err
				}
				fmt.Fprintln(cmd.OutOrStdout(), string(b))
				return nil
			}
			fmt.Fprintf(cmd.OutOrStdout(), "revision %d\n", resp.GetRevision())
			w := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 0, 3, ' ', 0)
			fmt.Fprintln(w, "NAMESPACE\tNAME\tKIND\tFILE")
			for _, p := range resp.GetPolicies() {
				fmt.Fprintf(w, "%s\t%s\t%s\t%s\n", p.GetNamespace(), p.GetName(), p.GetKind(), p.GetFile())
			}
			return w.Flush()
		},
	})
	list.Flags().StringVarP(&output, "output", "o", "table", "table or json")
	root.AddCommand(list)
}

func splitPolicyName(s string) (ns, name string) {
	for i := range len(s) {
		if s[i] == '/' {
			return s[:i], s[i+1:]
		}
	}
	return "", s
}
