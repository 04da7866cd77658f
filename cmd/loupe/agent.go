package main

import (
	"fmt"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/loupe-dev/loupe/collector"
	"github.com/loupe-dev/loupe/collector/metrics"
	"github.com/loupe-dev/loupe/datapath/loader"
	"github.com/loupe-dev/loupe/internal/mtls"
)

// agentOptions are the agent's flags.
type agentOptions struct {
	nodeName       string
	bpfRoot        string
	stateDir       string
	socket         string
	listen         string
	ringBufferSize uint32
	flowBuffer     int
	aggregation    string
	reportInterval time.Duration
	attachMode     string
	lossInterval   time.Duration
	logLevel       string
	clusterDir     string
	advertise      string
	tls            mtls.Files
	// Prometheus metrics.
	metricsListen    string
	metrics          string
	metricsSeriesCap int
	metricsPorts     []uint16
	// The L7 proxy and the DNS name cache.
	proxy proxyOptions
	// OpenTelemetry and flow files (agent_export.go).
	export exportOptions
}

func newAgentCmd() *cobra.Command {
	dc, cc, mc := loader.DefaultConfig(), collector.DefaultConfig(), metrics.DefaultConfig()
	o := agentOptions{
		nodeName: cc.NodeName, bpfRoot: dc.PinDir, stateDir: "/var/run/loupe/state",
		socket: "/var/run/loupe/loupe.sock", listen: "127.0.0.1:4244",
		ringBufferSize: dc.RingBufferSize, flowBuffer: cc.RingSize, aggregation: dc.Aggregation.String(),
		reportInterval: dc.ReportInterval, attachMode: string(loader.ModeAuto), lossInterval: cc.LossInterval,
		logLevel: "info", clusterDir: "/var/run/loupe/cluster",
		metricsListen: "127.0.0.1:9965", metrics: metrics.DefaultSpecs, metricsSeriesCap: mc.SeriesCap,
	}
	cmd := &cobra.Command{
		Use:   "agent",
		Short: "Run the node agent: eBPF datapath, endpoint API and flow collector",
		Long: `The agent loads loupe's eBPF programs, attaches them to every registered
workload's interface, collects flows from the kernel's ring buffer and serves the
Observer and Agent APIs on a unix socket and on loopback. It needs root (CAP_BPF,
CAP_NET_ADMIN, CAP_SYS_ADMIN) and a BPF filesystem.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runAgent(cmd, o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.nodeName, "node-name", o.nodeName, "name of this node in flows")
	f.StringVar(&o.bpfRoot, "bpf-root", o.bpfRoot, "directory on bpffs for pinned maps and links")
	f.StringVar(&o.stateDir, "state-dir", o.stateDir, "directory for endpoint and identity state")
	f.StringVar(&o.socket, "socket", o.socket, "unix socket of the Observer and Agent APIs (empty: none)")
	f.StringVar(&o.listen, "listen", o.listen, "TCP address of the Observer and Agent APIs (empty: none)")
	f.Uint32Var(&o.ringBufferSize, "ring-buffer-size", o.ringBufferSize, "BPF ring buffer size in bytes (power of two, >= 4096)")
	f.IntVar(&o.flowBuffer, "flow-buffer-size", o.flowBuffer, "flows kept in memory for observe")
	f.StringVar(&o.aggregation, "monitor-aggregation", o.aggregation, "trace events per connection: none, medium or max")
	f.DurationVar(&o.reportInterval, "monitor-report-interval", o.reportInterval, "how often long connections report counts (medium)")
	f.StringVar(&o.attachMode, "attach-mode", o.attachMode, "how programs attach: auto (tcx, else tc), tcx or tc")
	f.DurationVar(&o.lossInterval, "loss-interval", o.lossInterval, "how often lost events are polled and reported")
	f.StringVar(&o.logLevel, "log-level", o.logLevel, "debug, info, warn or error")
	f.StringVar(&o.clusterDir, "cluster-dir", o.clusterDir, "node registry shared by the cluster's agents: this node is listed there while it runs (empty: none)")
	f.StringVar(&o.advertise, "advertise-address", "", "HOST:PORT relays dial to reach --listen (default: --listen's own; needed when it is on every interface)")
	f.StringVar(&o.tls.Cert, "tls-cert", "", "certificate of the --listen address: serve it with mutual TLS (see loupe certs)")
	f.StringVar(&o.tls.Key, "tls-key", "", "key of --tls-cert")
	f.StringVar(&o.tls.CA, "tls-client-ca", "", "CA that clients' certificates (the relay's) must chain to")
	f.StringVar(&o.metricsListen, "metrics-listen", o.metricsListen, "TCP address of the Prometheus metrics at /metrics (empty: none)")
	f.StringVar(&o.metrics, "metrics", o.metrics, `flow metrics and their label contexts, in Hubble's syntax: "flow:sourceContext=namespace;destinationContext=workload,drop,policy"; contexts: namespace, workload, identity, app, none; families: `+strings.Join(metrics.Families, ", ")+` (empty: none)`)
	f.IntVar(&o.metricsSeriesCap, "metrics-series-cap", o.metricsSeriesCap, "series per flow metric; more are folded into one \"other\" series and counted in loupe_metrics_series_folded_total")
	f.Var(newPortList(&o.metricsPorts), "metrics-ports", "ports that loupe_port_distribution_total names besides those below 1024 (comma-separated)")
	o.export.addFlags(f)
	o.proxy.addFlags(f)
	return cmd
}

// validate checks the flags and the machine before anything is changed.
func (o agentOptions) validate() (loader.Config, error) {
	agg, err := loader.ParseAggregation(o.aggregation)
	if err != nil {
		return loader.Config{}, badInput("--monitor-aggregation: %v", err)
	}
	if _, err := loader.ParseMode(o.attachMode); err != nil {
		return loader.Config{}, badInput("--attach-mode: %v", err)
	}
	if o.flowBuffer <= 0 {
		return loader.Config{}, badInput("--flow-buffer-size %d: want a positive number", o.flowBuffer)
	}
	if o.nodeName == "" {
		return loader.Config{}, badInput("--node-name: must not be empty")
	}
	if o.socket == "" && o.listen == "" {
		return loader.Config{}, badInput("--socket and --listen are both empty: the agent would serve nothing")
	}
	if _, err := o.flowMetricsConfig(); err != nil {
		return loader.Config{}, err
	}
	if _, err := o.export.validate(); err != nil {
		return loader.Config{}, err
	}
	if err := o.validateCluster(); err != nil {
		return loader.Config{}, err
	}
	// Start from the defaults so settings without a flag keep their value.
	cfg := loader.DefaultConfig()
	cfg.PinDir, cfg.RingBufferSize, cfg.Aggregation, cfg.ReportInterval = o.bpfRoot, o.ringBufferSize, agg, o.reportInterval
	if n := o.ringBufferSize; n < 4096 || n&(n-1) != 0 {
		return loader.Config{}, badInput("--ring-buffer-size %d: want a power of two of at least 4096", n)
	}
	if o.reportInterval <= 0 {
		return loader.Config{}, badInput("--monitor-report-interval %s: want a positive duration", o.reportInterval)
	}
	if os.Geteuid() != 0 {
		return loader.Config{}, badInput("the agent needs root (CAP_BPF, CAP_NET_ADMIN, CAP_SYS_ADMIN to load BPF and attach to interfaces): run it as root")
	}
	return cfg, nil
}

func newLogger(level string) (*slog.Logger, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		return nil, badInput("--log-level %q: want debug, info, warn or error", level)
	}
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: l})), nil
}

func runAgent(cmd *cobra.Command, o agentOptions) error {
	cfg, err := o.validate()
	if err != nil {
		return err
	}
	log, err := newLogger(o.logLevel)
	if err != nil {
		return err
	}
	a, err := startAgent(o, cfg, log)
	if err != nil {
		return err
	}
	fmt.Fprintf(cmd.ErrOrStderr(), "loupe agent %s on node %s: observe with 'loupe observe' (socket %s, %s)\n", version, o.nodeName, o.socket, o.listen)
	<-cmd.Context().Done()
	log.Info("stopping agent")
	return a.stop()
}
