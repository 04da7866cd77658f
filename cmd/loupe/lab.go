package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	agentpb "github.com/loupe-dev/loupe/api/agent"
	"github.com/loupe-dev/loupe/deploy/lab"
)

// labServeCommand is how `lab up` starts a workload's servers: this binary
// with the hidden `lab serve`. Tests that run the CLI inside a test binary
// replace it.
var labServeCommand = func() (lab.ServeCommand, error) {
	exe, err := os.Executable()
	if err != nil {
		return lab.ServeCommand{}, fmt.Errorf("find own binary: %w", err)
	}
	return lab.ServeCommand{Path: exe, Args: []string{"lab", "serve"}}, nil
}

func newLabCmd() *cobra.Command {
	var stateDir string
	cmd := &cobra.Command{
		Use:   "lab",
		Short: "Run workloads as network namespaces on this machine",
		Long: `A lab is a set of workloads, each a network namespace joined to the host by a
veth pair, with an IPv4 and an IPv6 address, labels and a namespace, registered
with the running agent. The demo topology is deploy/lab/demo.yaml.`,
	}
	cmd.PersistentFlags().StringVar(&stateDir, "state-dir", lab.DefaultStateDir, "where labs are recorded")
	_ = cmd.PersistentFlags().MarkHidden("state-dir")
	manager := func(cmd *cobra.Command) (*lab.Manager, error) {
		serve, err := labServeCommand()
		if err != nil {
			return nil, err
		}
		log := slog.New(slog.NewTextHandler(cmd.ErrOrStderr(), &slog.HandlerOptions{Level: slog.LevelWarn}))
		return lab.NewManager(stateDir, serve, log), nil
	}
	cmd.AddCommand(
		newLabUpCmd(manager),
		newLabDownCmd(manager),
		newLabExecCmd(manager),
		newLabTrafficCmd(manager),
		newLabStatusCmd(manager),
		newLabServeCmd(),
	)
	return cmd
}

type labManager func(*cobra.Command) (*lab.Manager, error)

// labInput turns errors about what the user wrote or named into usage
// errors (exit code 2); nothing was changed when they happen.
func labInput(err error) error {
	if errors.Is(err, lab.ErrInvalidTopology) || errors.Is(err, lab.ErrConflict) ||
		errors.Is(err, lab.ErrNotFound) || errors.Is(err, lab.ErrAmbiguous) {
		return badInput("%w", err)
	}
	return err
}

func newLabUpCmd(manager labManager) *cobra.Command {
	var topology, server string
	var noRegister bool
	cmd := &cobra.Command{
		Use:   "up --topology FILE",
		Short: "Create the workloads of a topology and register them with the agent",
		Long: `Validate the topology (nothing is created if it is invalid), create its workloads,
register each with the agent through its endpoint API, and start their servers.
If anything fails, everything created is removed again.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if topology == "" {
				return badInput("--topology is required, e.g. --topology deploy/lab/demo.yaml")
			}
			t, err := lab.ParseTopologyFile(topology)
			if err != nil {
				return labInput(err)
			}
			m, err := manager(cmd)
			if err != nil {
				return err
			}
			opts := lab.UpOptions{}
			if !noRegister {
				conn, err := dial(server)
				if err != nil {
					return err
				}
				defer conn.Close()
				opts.Agent, opts.AgentAddr = agentpb.NewAgentClient(conn), server
			}
			st, err := m.Up(cmd.Context(), t, opts)
			if err != nil {
				return labInput(err)
			}
			out := cmd.OutOrStdout()
			fmt.Fprintf(out, "lab %s is up: %d workloads", st.Name, len(st.Workloads))
			if st.Agent != "" {
				fmt.Fprintf(out, ", registered with the agent at %s", st.Agent)
			}
			fmt.Fprintf(out, "\n  loupe lab status --name %s\n  loupe lab exec --name %s %s -- sh\n  loupe lab traffic --name %s\n  loupe lab down --name %s\n",
				st.Name, st.Name, st.Workloads[0].Name, st.Name, st.Name)
			return nil
		},
	}
	cmd.Flags().StringVar(&topology, "topology", "", "topology file (YAML), e.g. deploy/lab/demo.yaml")
	cmd.Flags().StringVar(&server, "server", defaultServer, "agent to register workloads with: "+serverFlagHelp)
	cmd.Flags().BoolVar(&noRegister, "no-register", false, "run the lab without an agent")
	return cmd
}

func newLabDownCmd(manager labManager) *cobra.Command {
	var name, server string
	cmd := &cobra.Command{
		Use:   "down [--name LAB]",
		Short: "Remove a lab (all labs without --name)",
		Long: `Deregister the workloads from the agent (best-effort: a stopped agent only gets a
warning), stop their servers, and remove namespaces, veth pairs, routes,
neighbour entries and state. Safe to run twice; also removes leftovers of
labs whose state is lost.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			m, err := manager(cmd)
			if err != nil {
				return err
			}
			opts := lab.DownOptions{Server: server, Dial: func(addr string) (lab.Agent, io.Closer, error) {
				conn, err := dial(addr)
				if err != nil {
					return nil, nil, err
				}
				return agentpb.NewAgentClient(conn), conn, nil
			}}
			removed, err := m.Down(cmd.Context(), name, opts)
			for _, l := range removed {
				fmt.Fprintf(cmd.OutOrStdout(), "lab %s removed\n", l)
			}
			if err != nil {
				return labInput(err)
			}
			if len(removed) == 0 {
				fmt.Fprintln(cmd.OutOrStdout(), "no lab to remove")
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&name, "name", "", "lab to remove (default: all labs)")
	cmd.Flags().StringVar(&server, "server", "", "agent to deregister from (default: the one the lab registered with): "+serverFlagHelp)
	return cmd
}

func newLabExecCmd(manager labManager) *cobra.Command {
	var name string
	cmd := &cobra.Command{
		Use:   "exec [--name LAB] WORKLOAD -- CMD [ARGS...]",
		Short: "Run a command inside a workload",
		Long: `Run CMD inside the workload's network namespace (WORKLOAD is name or
namespace/name), with the lab DNS as its resolver, stdin/stdout/stderr
attached; its exit code is passed through.`,
		Example: "  loupe lab exec frontend -- curl -s http://catalog:8080/\n  loupe lab exec shop/db -- ss -tln",
		Args:    cobra.MinimumNArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			m, err := manager(cmd)
			if err != nil {
				return err
			}
			// Parsing stops at WORKLOAD, so a "--" after it is still here.
			command := args[1:]
			if command[0] == "--" {
				command = command[1:]
			}
			if len(command) == 0 {
				return badInput("no command given: loupe lab exec WORKLOAD -- CMD [ARGS...]")
			}
			argv, err := m.ExecArgv(name, args[0], command)
			if err != nil {
				return labInput(err)
			}
			// Replacing this process hands the terminal, signals and the
			// exit code to the command, with nothing in between.
			if err := syscall.Exec(argv[0], argv, os.Environ()); err != nil {
				return fmt.Errorf("exec %s: %w", strings.Join(argv, " "), err)
			}
			return nil
		},
	}
	// Everything after WORKLOAD belongs to the command, flags included.
	cmd.Flags().SetInterspersed(false)
	cmd.Flags().StringVar(&name, "name", "", "lab of the workload (needed only when several labs have it)")
	return cmd
}

func newLabTrafficCmd(manager labManager) *cobra.Command {
	var name string
	var duration time.Duration
	var once bool
	var rate float64
	cmd := &cobra.Command{
		Use:   "traffic [--name LAB] [--duration D] [--once] [--rate R]",
		Short: "Drive the topology's traffic mix between workloads",
		Long: `Send the traffic section of the topology (HTTP by name, DNS, TCP, UDP, ICMP, over
IPv4 and IPv6, and attempts that a policy may deny) from inside each source
workload, until --duration ends or Ctrl-C. Prints a summary every second.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if duration < 0 {
				return badInput("--duration %s is negative", duration)
			}
			if rate < 0 || rate > 1000 {
				return badInput("--rate %g is out of range: actions per second per flow, up to 1000", rate)
			}
			m, err := manager(cmd)
			if err != nil {
				return err
			}
			var labs []*lab.State
			if name != "" {
				st, err := m.LoadState(name)
				if err != nil {
					return labInput(err)
				}
				labs = []*lab.State{st}
			}
			_, err = m.Traffic(cmd.Context(), labs, lab.TrafficOptions{
				Duration: duration, Once: once, Rate: rate, Out: cmd.OutOrStdout(),
			})
			return labInput(err)
		},
	}
	cmd.Flags().StringVar(&name, "name", "", "lab to drive (default: every lab)")
	cmd.Flags().DurationVar(&duration, "duration", 0, "stop after this long (default: until Ctrl-C)")
	cmd.Flags().BoolVar(&once, "once", false, "run every flow once and stop")
	cmd.Flags().Float64Var(&rate, "rate", 0, "actions per second of every flow (default: each flow's own rate)")
	return cmd
}

func newLabStatusCmd(manager labManager) *cobra.Command {
	var name, output string
	cmd := &cobra.Command{
		Use:   "status [--name LAB] [-o table|json]",
		Short: "List the workloads of the labs",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if output != "table" && output != "json" {
				return badInput("-o %q: use table or json", output)
			}
			m, err := manager(cmd)
			if err != nil {
				return err
			}
			rows, err := m.Status(name)
			if err != nil {
				return labInput(err)
			}
			if output == "json" {
				enc := json.NewEncoder(cmd.OutOrStdout())
				enc.SetIndent("", "  ")
				return enc.Encode(rows)
			}
			if len(rows) == 0 {
				fmt.Fprintln(cmd.OutOrStdout(), "no lab is up")
				return nil
			}
			return lab.WriteStatusTable(cmd.OutOrStdout(), rows)
		},
	}
	cmd.Flags().StringVar(&name, "name", "", "lab to list (default: every lab)")
	cmd.Flags().StringVarP(&output, "output", "o", "table", "output format: table or json")
	return cmd
}

// newLabServeCmd is the process `lab up` starts in each workload; its flags
// are parsed by lab.ServeMain, the other side of that contract.
func newLabServeCmd() *cobra.Command {
	return &cobra.Command{
		Use:                "serve",
		Short:              "Run a workload's servers (started by lab up)",
		Hidden:             true,
		DisableFlagParsing: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			return lab.ServeMain(cmd.Context(), args, cmd.ErrOrStderr())
		},
	}
}
