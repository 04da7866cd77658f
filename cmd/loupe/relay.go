package main

import (
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/loupe-dev/loupe/collector/export/otlp"
	"github.com/loupe-dev/loupe/internal/mtls"
	"github.com/loupe-dev/loupe/relay"
	"github.com/loupe-dev/loupe/relay/merge"
)

// defaultRelayServer is the relay's address (the contract's default).
const defaultRelayServer = "127.0.0.1:4245"

// relayOptions are the relay's flags.
type relayOptions struct {
	listen      string
	peers       []string
	peerService []string
	store       storeOptions
	sortWindow  int
	sortDelay   time.Duration
	tls         mtls.Files
	logLevel    string
	// metricsListen serves Prometheus metrics at /metrics (empty: none).
	metricsListen string
	otlpEndpoint  string
}

const relayLong = `The relay connects to every node's agent, merges their flows into one time
order and serves the Observer API for the whole cluster: 'loupe observe',
'loupe status' and 'loupe nodes' work against it with --server ` + defaultRelayServer + `.

Nodes come from --peers, and from --peer-service: agents whose Peer API lists
the nodes of their --cluster-dir, so that nodes started later join without a
restart. A node that cannot be reached is retried with backoff and reported
in-band; the others keep streaming.

Flows are merged through a sort window of --sort-window flows. An answer
that ends waits for every node to move past a flow; a follow holds a flow at
most --sort-window-delay, so that quiet nodes do not stall it. A flow that
arrives after newer ones went out is counted and reported as lost
(RELAY_QUEUE).

Plaintext is only allowed to loopback addresses and unix sockets. Nodes on
other machines are reached with mutual TLS: --tls-cert, --tls-key and
--tls-ca (loupe certs makes them for a lab).`

const relayExample = `  loupe relay --peers node-a=127.0.0.1:4244,node-b=127.0.0.1:4344
  loupe relay --peer-service 127.0.0.1:4244 --clickhouse clickhouse://127.0.0.1:9000/loupe
  loupe relay --peers node-a=10.0.0.1:4244 --tls-cert tls/relay.crt --tls-key tls/relay.key --tls-ca tls/ca.crt`

func newRelayCmd() *cobra.Command {
	w := merge.DefaultConfig()
	o := relayOptions{listen: defaultRelayServer, sortWindow: w.MaxFlows, sortDelay: w.MaxDelay, logLevel: "info", metricsListen: "127.0.0.1:9966"}
	cmd := &cobra.Command{
		Use:     "relay",
		Short:   "Run the relay: every node's flows, merged, through one Observer API",
		Long:    relayLong,
		Example: relayExample,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runRelay(cmd, o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.listen, "listen", o.listen, "address of the relay's Observer API: host:port on loopback, or unix:///path")
	f.StringSliceVar(&o.peers, "peers", nil, "nodes as NAME=ADDRESS, comma-separated (node-a=127.0.0.1:4244)")
	f.StringSliceVar(&o.peerService, "peer-service", nil, "agents whose Peer API lists the cluster's nodes: [NAME=]ADDRESS, comma-separated")
	f.StringVar(&o.store.dsn, "clickhouse", "", "ClickHouse DSN (clickhouse://host:port/database): store every flow and answer --since beyond the nodes' buffers from it")
	f.IntVar(&o.store.retentionDays, "retention-days", 0, "keep flows this many days (TTL, or dropped partitions on ClickHouse 18.16); 0 keeps them all")
	f.IntVar(&o.store.queueSize, "store-queue", 200_000, "flows buffered for ClickHouse; beyond it new flows are dropped and counted")
	f.IntVar(&o.store.batchSize, "store-batch", 50_000, "most flows in one ClickHouse insert")
	f.DurationVar(&o.store.flushInterval, "store-flush", time.Second, "longest a flow waits before its batch is inserted")
	f.StringVar(&o.store.httpListen, "http-listen", defaultQueryServer, "address of the HTTP JSON API of incident queries (loopback; empty: none)")
	f.IntVar(&o.sortWindow, "sort-window", o.sortWindow, "most flows held to merge the nodes' streams in time order")
	f.DurationVar(&o.sortDelay, "sort-window-delay", o.sortDelay, "longest a followed flow is held to merge the nodes' streams in time order")
	f.StringVar(&o.tls.Cert, "tls-cert", "", "client certificate to present to nodes (mutual TLS; see loupe certs)")
	f.StringVar(&o.tls.Key, "tls-key", "", "key of --tls-cert")
	f.StringVar(&o.tls.CA, "tls-ca", "", "CA that the nodes' certificates must chain to")
	f.StringVar(&o.logLevel, "log-level", o.logLevel, "debug, info, warn or error")
	f.StringVar(&o.metricsListen, "metrics-listen", o.metricsListen, "TCP address of the Prometheus metrics at /metrics (empty: none)")
	f.StringVar(&o.otlpEndpoint, "otlp-endpoint", "", otlpFlag)
	return cmd
}

func runRelay(cmd *cobra.Command, o relayOptions) error {
	cfg, err := o.config()
	if err != nil {
		return err
	}
	log, err := newLogger(o.logLevel)
	if err != nil {
		return err
	}
	ctx := cmd.Context()
	reg := newRegistry()
	if err := checkOTLPEndpoint(o.otlpEndpoint); err != nil {
		return err
	}
	// Tracing starts first and stops last: every other part may make spans.
	tracing, err := startSelfTracing(o.otlpEndpoint, "loupe-relay", relayNodeName(), reg, otlp.Config{Log: log})
	if err != nil {
		return err
	}
	defer tracing.stop()
	cfg.TracerProvider, o.store.tracer = tracing.provider(), tracing.provider()
	if o.store.dsn != "" {
		o.store.inserted = newBatchLatency(reg)
		// The store opens first and closes last: the relay hands it flows
		// until it has stopped.
		fs, err := openFlowStore(ctx, o.store, log)
		if err != nil {
			var usage *usageError
			if errors.As(err, &usage) {
				return err
			}
			return fmt.Errorf("--clickhouse %s: %w", o.store.dsn, err)
		}
		defer fs.Close()
		cfg.Archive, cfg.History = newCountingArchive(fs.sink, reg), fs.history
		reg.MustRegister(sinkStats{fs.sink})
	}
	r, err := relay.New(cfg, log)
	if err != nil {
		return badInput("%v", err)
	}
	if err := r.Start(); err != nil {
		return badInput("--listen %s: %v", o.listen, err)
	}
	reg.MustRegister(peerStates{r.Nodes}, relayStats{r.Stats})
	// Metrics stop before the relay: a scrape never reads a stopped relay.
	var ms *httpServer
	if o.metricsListen != "" {
		if ms, err = serveMetrics("--metrics-listen", o.metricsListen, reg, log); err != nil {
			r.Stop()
			return err
		}
	}
	fmt.Fprintf(cmd.ErrOrStderr(), "loupe relay %s on %s: %d nodes given, %d peer services; observe with 'loupe observe --server %s'\n",
		version, r.Addr(), len(cfg.Peers.Static), len(cfg.Peers.Services), r.Addr())
	<-ctx.Done()
	log.Info("stopping relay")
	err = ms.stop()
	r.Stop()
	return err
}
