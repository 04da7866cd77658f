package main

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"time"

	"golang.org/x/sys/unix"
	"google.golang.org/grpc"

	"github.com/loupe-dev/loupe/collector"
	"github.com/loupe-dev/loupe/collector/metrics"
	observersrv "github.com/loupe-dev/loupe/collector/observer"
	"github.com/loupe-dev/loupe/collector/parser"
	"github.com/loupe-dev/loupe/datapath/agentapi"
	"github.com/loupe-dev/loupe/datapath/bpffs"
	"github.com/loupe-dev/loupe/datapath/ctgc"
	"github.com/loupe-dev/loupe/datapath/endpoint"
	"github.com/loupe-dev/loupe/datapath/enforce"
	"github.com/loupe-dev/loupe/datapath/fqdn"
	"github.com/loupe-dev/loupe/datapath/identity"
	"github.com/loupe-dev/loupe/datapath/loader"
	"github.com/loupe-dev/loupe/datapath/maps"
	"github.com/loupe-dev/loupe/datapath/proxy"
)

// agent holds the running parts, stopped in reverse order of their start.
type agent struct {
	log        *slog.Logger
	lock       *os.File
	objs       *loader.LoupeObjects
	collector  *collector.Collector
	proxy      *proxy.Server
	export     *agentExport
	names      *fqdn.Cache
	ctgc       *ctgc.Collector
	servers    []*grpc.Server
	metrics    *metrics.Metrics
	metricsSrv *httpServer
	// registered is the registry directory this node is listed in, if any.
	registered string
	nodeName   string
}

// startAgent starts, in order: the state lock, the datapath (bpffs, objects,
// endpoints re-adopted), the collector, then the API listeners, so that no
// client ever sees an agent without its datapath.
func startAgent(o agentOptions, cfg loader.Config, log *slog.Logger) (_ *agent, err error) {
	a := &agent{log: log}
	defer func() {
		if err != nil {
			_ = a.stop()
		}
	}()
	if a.lock, err = lockState(o.stateDir); err != nil {
		return nil, err
	}
	if err := bpffs.Ensure(cfg.PinDir); err != nil {
		if errors.Is(err, bpffs.ErrNotBPFFS) {
			return nil, badInput("--bpf-root: %v", err)
		}
		return nil, fmt.Errorf("prepare bpffs: %w", err)
	}
	if a.objs, err = loader.Load(cfg, log); err != nil {
		return nil, err
	}
	mode, _ := loader.ParseMode(o.attachMode)
	attacher, err := loader.NewAttacher(cfg.PinDir, mode)
	if err != nil {
		return nil, err
	}
	ids, err := identity.NewAllocator(filepath.Join(o.stateDir, "identities.json"))
	if err != nil {
		return nil, err
	}
	mgr := endpoint.NewManager(endpoint.Config{StateDir: o.stateDir, Log: log, IDs: ids, Objects: a.objs, Attacher: attacher})
	if err := mgr.Restore(); err != nil {
		return nil, err
	}
	reg := newRegistry()
	if a.export, err = startExport(o.export, o.nodeName, reg, log); err != nil {
		return nil, err
	}
	var resolvePolicy func() error
	a.names = newNameCache(o.proxy, &resolvePolicy, log)
	enf, err := enforce.New(enforce.Config{
		FQDNs: a.names.Prefixes, Selectors: a.names.SetSelectors,
		StateDir: o.stateDir, Log: log, Endpoints: mgr, IDs: ids,
		Maps: maps.NewPolicyMaps(a.objs), IPCache: maps.NewIPCache(a.objs.Ipcache),
		Installed: a.export.tracedApply(newApplyLatency(reg)),
	})
	if err != nil {
		return nil, err
	}
	resolvePolicy = enf.Resolve
	if err := enf.Resolve(); err != nil {
		return nil, err
	}
	a.names.Start()
	a.ctgc = ctgc.New(maps.NewConntrack(a.objs.Conntrack), 30*time.Second, log)
	a.ctgc.Start()
	log.Info("datapath ready", "bpf_root", cfg.PinDir, "endpoints", len(mgr.List()), "aggregation", cfg.Aggregation, "policy_revision", enf.Revision())

	mcfg, err := o.flowMetricsConfig()
	if err != nil {
		return nil, err
	}
	mcfg.Live = liveEndpoints(mgr, ids)
	if a.metrics, err = metrics.New(mcfg, reg); err != nil {
		return nil, err
	}
	a.metrics.Start()
	datapathGauges(reg, a.objs, mgr, ids, enf)

	p := parser.New(o.nodeName, func() parser.Endpoints { return mgr.Snapshot() }, ids, enf).WithNames(a.names.Names)
	ccfg := collector.Config{NodeName: o.nodeName, RingSize: o.flowBuffer, LossInterval: o.lossInterval}
	if len(mcfg.Specs) > 0 {
		ccfg.Observer = a.metrics
	}
	ccfg.Observer = a.export.observer(ccfg.Observer)
	c, err := collector.New(ccfg, log, a.objs.Events, a.objs.LostEvents, p)
	if err != nil {
		return nil, badInput("%v", err)
	}
	if err := c.Start(); err != nil {
		return nil, err
	}
	a.collector = c
	if err := a.startProxy(o.proxy, attacher, mgr, enf, reg); err != nil {
		return nil, err
	}
	reg.MustRegister(c.Health())
	if o.metricsListen != "" {
		if a.metricsSrv, err = serveMetrics("--metrics-listen", o.metricsListen, reg, log); err != nil {
			return nil, err
		}
	}

	obs := observersrv.NewServer(c, o.nodeName, version, cfg.Aggregation.String()).
		WithEndpointNamespaces(func() []string { return endpointNamespaces(mgr.List()) })
	if err := a.serveAPIs(o, obs, agentapi.NewServer(mgr, ids, enf)); err != nil {
		return nil, err
	}
	return a, nil
}

// stop ends what started, in reverse. Programs stay attached and maps stay
// pinned: the kernel keeps working without the agent.
func (a *agent) stop() error {
	var errs []error
	errs = append(errs, a.metricsSrv.stop(), a.stopAPIs())
	if a.proxy != nil {
		errs = append(errs, a.proxy.Stop())
	}
	if a.collector != nil {
		errs = append(errs, a.collector.Stop())
	}
	errs = append(errs, a.export.stop())
	if a.names != nil {
		a.names.Stop()
	}
	if a.metrics != nil {
		a.metrics.Stop()
	}
	if a.ctgc != nil {
		a.ctgc.Stop()
	}
	if a.objs != nil {
		errs = append(errs, a.objs.Close())
	}
	if a.lock != nil {
		errs = append(errs, a.lock.Close())
	}
	return errors.Join(errs...)
}

// lockState takes an exclusive lock on the state directory: two agents
// sharing state would attach and count everything twice.
func lockState(dir string) (*os.File, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create state directory: %w", err)
	}
	f, err := os.OpenFile(filepath.Join(dir, "agent.lock"), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open state lock: %w", err)
	}
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != nil {
		f.Close()
		return nil, badInput("--state-dir %s: another agent is running with it", dir)
	}
	return f, nil
}

// listenUnix listens on path, replacing a socket left by a dead agent.
func listenUnix(path string) (net.Listener, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("create socket directory: %w", err)
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("remove stale socket: %w", err)
	}
	l, err := net.Listen("unix", path)
	if err != nil {
		return nil, badInput("--socket %s: %v", path, err)
	}
	if err := os.Chmod(path, 0o660); err != nil {
		l.Close()
		return nil, fmt.Errorf("restrict socket: %w", err)
	}
	return l, nil
}
