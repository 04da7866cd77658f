package main

import (
	"fmt"

	"github.com/spf13/cobra"
)

// usageError marks errors caused by what the user typed or wrote (flags,
// arguments, input files). They exit with code 2 and change nothing.
type usageError struct{ err error }

func (e *usageError) Error() string { return e.err.Error() }
func (e *usageError) Unwrap() error { return e.err }

// badInput wraps err as a usage error.
func badInput(format string, a ...any) error {
	return &usageError{err: fmt.Errorf(format, a...)}
}

func newRootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:           "loupe",
		Short:         "loupe: network flows and identity-aware policy for Linux workloads",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error {
		return &usageError{err: err}
	})
	root.AddCommand(
		newAgentCmd(),
		newObserveCmd(),
		newQueryCmd(),
		newStatusCmd(),
		newEndpointCmd(),
		newIdentityCmd(),
		newLabCmd(),
		newPolicy(),
		newCertsCmd(),
		newRelayCmd(),
		newNodesCmd(),
		newUICmd(),
		newVersionCmd(),
	)
	// Unknown subcommands and wrong argument counts are usage errors too.
	for _, c := range root.Commands() {
		wrapArgs(c)
	}
	return root
}

// wrapArgs makes cobra's positional-argument validation return usage errors.
func wrapArgs(c *cobra.Command) {
	if c.Args != nil {
		inner := c.Args
		c.Args = func(cmd *cobra.Command, args []string) error {
			if err := inner(cmd, args); err != nil {
				return &usageError{err: err}
			}
			return nil
		}
	}
	for _, sub := range c.Commands() {
		wrapArgs(sub)
	}
}

// newPolicy is `loupe policy`: offline validate and explain, and the
// subcommands that ask the agent.
func newPolicy() *cobra.Command {
	cmd := newPolicyCmd()
	addAgentPolicyCmds(cmd)
	return cmd
}

func newVersionCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version",
		Args:  cobra.NoArgs,
		Run: func(cmd *cobra.Command, _ []string) {
			fmt.Fprintln(cmd.OutOrStdout(), version)
		},
	}
}

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"
