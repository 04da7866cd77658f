package main

import (
	"context"
	"log/slog"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/spf13/pflag"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/loupe-dev/loupe/api/flow"
	"github.com/loupe-dev/loupe/collector"
	"github.com/loupe-dev/loupe/collector/export/file"
	"github.com/loupe-dev/loupe/collector/export/otlp"
	"github.com/loupe-dev/loupe/collector/filters"
)

// exportOptions are the agent's flags for OpenTelemetry and flow files.
type exportOptions struct {
	otlpEndpoint   string
	otlpFlows      []string
	otlpLogFilters []string
	otlpQueue      int

	exportConfig     string
	exportFile       string
	exportMaxSizeMB  int
	exportMaxBackups int
	exportCompress   bool
	exportQueue      int
}

func (e *exportOptions) addFlags(f *pflag.FlagSet) {
	f.StringVar(&e.otlpEndpoint, "otlp-endpoint", "", otlpFlag)
	f.StringSliceVar(&e.otlpFlows, "otlp-flows", []string{"spans"}, "flows sent to --otlp-endpoint: spans (one span per L7 HTTP/gRPC request), logs (flows as log records), both, or none")
	f.StringArrayVar(&e.otlpLogFilters, "otlp-logs-filter", nil, `with --otlp-flows logs, only flows that match this filter, as JSON ('{"verdict":["DROPPED"]}'); repeat to OR`)
	f.IntVar(&e.otlpQueue, "otlp-queue-size", otlp.DefaultConfig().QueueSize, "items queued per OTLP signal; beyond it they are dropped and counted in loupe_otlp_dropped_total")
	f.StringVar(&e.exportConfig, "export-config", "", "YAML file of flow logs (files, filters, field masks), reloaded when it changes and on SIGHUP; see docs/telemetry.md")
	f.StringVar(&e.exportFile, "export-file-path", "", "write every flow to this file as JSON lines (a fixed flow log; --export-config for filters and masks)")
	f.IntVar(&e.exportMaxSizeMB, "export-file-max-size-mb", file.DefaultMaxSizeMB, "rotate --export-file-path at this size")
	f.IntVar(&e.exportMaxBackups, "export-file-max-backups", file.DefaultMaxBackups, "rotated files of --export-file-path kept")
	f.BoolVar(&e.exportCompress, "export-file-compress", false, "gzip rotated files of --export-file-path")
	f.IntVar(&e.exportQueue, "export-queue-size", file.DefaultQueueSize, "flows queued for the flow log files; beyond it they are dropped, counted and written as lost_events lines")
}

// validate checks the flags; it returns the OTLP log filter.
func (e exportOptions) validate() (filters.Func, error) {
	if err := checkOTLPEndpoint(e.otlpEndpoint); err != nil {
		return nil, err
	}
	for _, s := range e.otlpFlows {
		if !slices.Contains([]string{"spans", "logs", "none"}, s) {
			return nil, badInput("--otlp-flows %q: want spans, logs or none", s)
		}
	}
	var allow []*flow.FlowFilter
	for _, s := range e.otlpLogFilters {
		var ff flow.FlowFilter
		if err := protojson.Unmarshal([]byte(s), &ff); err != nil {
			return nil, badInput("--otlp-logs-filter %q: %v; want a FlowFilter as JSON: '{\"verdict\":[\"DROPPED\"],\"source_namespace\":[\"shop\"]}'", s, err)
		}
		allow = append(allow, &ff)
	}
	match, err := filters.Compile(allow, nil)
	if err != nil {
		return nil, badInput("--otlp-logs-filter: %v", err)
	}
	if e.otlpQueue <= 0 || e.exportQueue <= 0 {
		return nil, badInput("--otlp-queue-size %d, --export-queue-size %d: want positive numbers", e.otlpQueue, e.exportQueue)
	}
	if e.exportConfig != "" && e.exportFile != "" {
		return nil, badInput("--export-config and --export-file-path: give one (put the file in the config as a flow log)")
	}
	if e.exportFile != "" {
		if _, err := e.fixedFlowLog(); err != nil {
			return nil, err
		}
	}
	if e.exportConfig != "" {
		data, err := os.ReadFile(e.exportConfig)
		if err != nil {
			return nil, badInput("--export-config: %v", err)
		}
		if _, err := file.ParseConfig(e.exportConfig, data); err != nil {
			return nil, badInput("--export-config:\n%v", err)
		}
	}
	return match, nil
}

// fixedFlowLog is the flow log of --export-file-path.
func (e exportOptions) fixedFlowLog() (*file.Config, error) {
	if e.exportMaxSizeMB < 0 || e.exportMaxBackups < 0 {
		return nil, badInput("--export-file-max-size-mb %d, --export-file-max-backups %d: want 0 or more", e.exportMaxSizeMB, e.exportMaxBackups)
	}
	path := e.exportFile
	if !strings.HasPrefix(path, "/") {
		return nil, badInput("--export-file-path %q: want an absolute path", path)
	}
	return &file.Config{FlowLogs: []file.FlowLog{{
		Name: "flags", FilePath: path, MaxSize: int64(e.exportMaxSizeMB) << 20,
		MaxBackups: e.exportMaxBackups, Compress: e.exportCompress,
	}}}, nil
}

// agentExport is what the agent sends out besides its APIs: its own spans,
// flows over OTLP, flows to files.
type agentExport struct {
	self    *selfTracing
	flows   *otlp.Exporter
	files   *file.Exporter
	watcher *file.Watcher
	hup     chan os.Signal
	hupDone chan struct{}
}

// startExport starts what the flags ask for; the returned value is never
// nil when err is nil, and its methods are no-ops for what is off.
func startExport(o exportOptions, node string, reg prometheus.Registerer, log *slog.Logger) (_ *agentExport, err error) {
	logFilter, err := o.validate()
	if err != nil {
		return nil, err
	}
	x := &agentExport{}
	defer func() {
		if err != nil {
			_ = x.stop()
		}
	}()
	ocfg := otlp.Config{NodeName: node, QueueSize: o.otlpQueue, Log: log}
	if x.self, err = startSelfTracing(o.otlpEndpoint, "loupe-agent", node, reg, ocfg); err != nil {
		return nil, err
	}
	ocfg.Spans, ocfg.Logs = slices.Contains(o.otlpFlows, "spans"), slices.Contains(o.otlpFlows, "logs")
	if x.self.client != nil && (ocfg.Spans || ocfg.Logs) {
		if len(o.otlpLogFilters) > 0 {
			ocfg.LogFilter = logFilter
		}
		if x.flows, err = otlp.New(ocfg, x.self.client.Spans, x.self.client.Logs); err != nil {
			return nil, err
		}
		x.flows.Start()
		x.self.metrics.Add(x.flows)
	}
	if o.exportConfig == "" && o.exportFile == "" {
		return x, nil
	}
	x.files = file.New(o.exportQueue, log.With("component", "export"))
	x.files.Start()
	if o.exportFile != "" {
		cfg, err := o.fixedFlowLog()
		if err != nil {
			return nil, err
		}
		if err := x.files.Apply(cfg); err != nil {
			return nil, badInput("--export-file-path: %v", err)
		}
	} else {
		x.watcher = file.NewWatcher(o.exportConfig, x.files, file.DefaultPollInterval, log.With("component", "export"))
		if err := x.watcher.Load(); err != nil {
			return nil, badInput("--export-config:\n%v", err)
		}
		x.watcher.Start()
		x.reloadOnHUP()
	}
	reg.MustRegister(file.Metrics{Exporter: x.files, Watcher: x.watcher})
	return x, nil
}

// reloadOnHUP reads --export-config again on SIGHUP.
func (x *agentExport) reloadOnHUP() {
	x.hup, x.hupDone = make(chan os.Signal, 1), make(chan struct{})
	signal.Notify(x.hup, syscall.SIGHUP)
	go func() {
		defer close(x.hupDone)
		for range x.hup {
			x.watcher.Reload()
		}
	}()
}

// observer feeds the exporters, then next (the flow metrics, or nil).
func (x *agentExport) observer(next collector.FlowObserver) collector.FlowObserver {
	var obs fanOut
	if next != nil {
		obs = append(obs, next)
	}
	if x.flows != nil {
		obs = append(obs, x.flows)
	}
	if x.files != nil {
		obs = append(obs, x.files)
	}
	switch len(obs) {
	case 0:
		return nil
	case 1:
		return obs[0]
	}
	return obs
}

// fanOut hands each flow to every observer; each only queues.
type fanOut []collector.FlowObserver

func (o fanOut) Observe(f *flow.Flow) {
	for _, obs := range o {
		obs.Observe(f)
	}
}

// tracedApply adds a span per installed policy revision to the latency
// histogram's observer.
func (x *agentExport) tracedApply(observe func(time.Duration)) func(time.Duration) {
	tracer := x.self.provider().Tracer("github.com/loupe-dev/loupe/datapath/enforce")
	return func(took time.Duration) {
		observe(took)
		now := time.Now()
		_, span := tracer.Start(context.Background(), "policy.apply", trace.WithTimestamp(now.Add(-took)),
			trace.WithAttributes(attribute.Float64("loupe.policy.apply_seconds", took.Seconds())))
		span.End(trace.WithTimestamp(now))
	}
}

// stop ends the exporters after the collector stopped feeding them: files
// and flows are flushed, then loupe's own spans, then the connection.
func (x *agentExport) stop() error {
	if x == nil {
		return nil
	}
	if x.hup != nil {
		signal.Stop(x.hup)
		close(x.hup)
		<-x.hupDone
	}
	if x.watcher != nil {
		x.watcher.Stop()
	}
	if x.files != nil {
		x.files.Stop()
	}
	if x.flows != nil {
		x.flows.Stop()
	}
	return x.self.stop()
}
