package main

import (
	"fmt"
	"net"
	"strings"

	"github.com/spf13/cobra"

	agentpb "github.com/loupe-dev/loupe/api/agent"
	"github.com/loupe-dev/loupe/api/observer"
	"github.com/loupe-dev/loupe/internal/mtls"
	"github.com/loupe-dev/loupe/ui"
	"github.com/loupe-dev/loupe/ui/live"
)

// defaultUIListen is the UI's address (the contract's default).
const defaultUIListen = "127.0.0.1:12000"

type uiOptions struct {
	listen, server, queryAPI, agent, logLevel string
	live                                      live.Config
}

const uiLong = `Serve the web UI: a live service map of every namespace, the flow table,
history from ClickHouse, connection and request tracing, and the policies of
a workload with the drops they caused.

The UI reads flows from --server (the relay; an agent works too), history
and the service map over time from the relay's query API (--query-api, the
relay's --http-listen), and policies from the agent (--agent). Each browser
gets its own rate (--client-rate flows/s); what is above it is dropped, and
shown in the table as lost events.`

func newUICmd() *cobra.Command {
	o := uiOptions{listen: defaultUIListen, server: defaultRelayServer, queryAPI: defaultQueryServer,
		agent: defaultServer, logLevel: "info", live: live.DefaultConfig()}
	cmd := &cobra.Command{
		Use:     "ui",
		Short:   "Serve the web UI: service map, flows, history, tracing, policies",
		Long:    uiLong,
		Example: "  loupe ui\n  loupe ui --listen 127.0.0.1:12000 --server 127.0.0.1:4245 --query-api 127.0.0.1:4246",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runUI(cmd, o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.listen, "listen", o.listen, "address of the UI (loopback)")
	f.StringVar(&o.server, "server", o.server, "relay or agent Observer API: host:port or unix:///path")
	f.StringVar(&o.queryAPI, "query-api", o.queryAPI, "the relay's HTTP query API (host:port; empty: no history maps)")
	f.StringVar(&o.agent, "agent", o.agent, "agent API for endpoints and policies (empty: none)")
	f.Float64Var(&o.live.Rate, "client-rate", o.live.Rate, "most flows per second streamed to one browser; the rest are counted as lost")
	f.IntVar(&o.live.MaxClients, "max-clients", o.live.MaxClients, "most browsers streaming at once")
	f.StringVar(&o.logLevel, "log-level", o.logLevel, "debug, info, warn or error")
	return cmd
}

func runUI(cmd *cobra.Command, o uiOptions) error {
	if _, _, err := net.SplitHostPort(o.listen); err != nil || !mtls.IsLocal(o.listen) {
		return badInput("--listen %q: want host:port on loopback (%s): the UI has no authentication of its own; put a proxy with authentication in front of it", o.listen, defaultUIListen)
	}
	if o.live.Rate <= 0 || o.live.MaxClients <= 0 {
		return badInput("--client-rate and --max-clients must be positive")
	}
	o.live.Burst = max(1, int(o.live.Rate))
	log, err := newLogger(o.logLevel)
	if err != nil {
		return err
	}
	relayConn, err := dial(o.server)
	if err != nil {
		return err
	}
	defer relayConn.Close()
	cfg := ui.Config{Observer: observer.NewObserverClient(relayConn), ParseFilter: parseUIFilter, Live: o.live, Log: log}
	if o.agent != "" {
		agentConn, err := dial(o.agent)
		if err != nil {
			return badInput("--agent: %v", err)
		}
		defer agentConn.Close()
		cfg.Agent = agentpb.NewAgentClient(agentConn)
	}
	if o.queryAPI != "" {
		hostPort := strings.TrimPrefix(o.queryAPI, "http://")
		if _, _, err := net.SplitHostPort(hostPort); err != nil || !mtls.IsLocal(hostPort) {
			return badInput("--query-api %q: want host:port on loopback (%s)", o.queryAPI, defaultQueryServer)
		}
		cfg.QueryAPI = "http://" + hostPort
	}
	srv, err := ui.New(cfg)
	if err != nil {
		return badInput("%v", err)
	}
	hs, err := serveHTTP("ui", "--listen", o.listen, srv, log)
	if err != nil {
		return err
	}
	fmt.Fprintf(cmd.ErrOrStderr(), "loupe ui %s on http://%s (flows from %s)\n", version, hs.addr, o.server)
	<-cmd.Context().Done()
	log.Info("stopping ui")
	// Live streams are hijacked connections that Shutdown does not wait
	// for: end them first.
	srv.Stop()
	return hs.stop()
}
