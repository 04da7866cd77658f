package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/spf13/pflag"

	"github.com/loupe-dev/loupe/collector"
	"github.com/loupe-dev/loupe/datapath/fqdn"
	dnsproxy "github.com/loupe-dev/loupe/datapath/proxy/dns"
	httpproxy "github.com/loupe-dev/loupe/datapath/proxy/http"
	kafkaproxy "github.com/loupe-dev/loupe/datapath/proxy/kafka"

	"github.com/loupe-dev/loupe/api/flow"
	"github.com/loupe-dev/loupe/datapath/endpoint"
	"github.com/loupe-dev/loupe/datapath/enforce"
	"github.com/loupe-dev/loupe/datapath/identity"
	"github.com/loupe-dev/loupe/datapath/loader"
	"github.com/loupe-dev/loupe/datapath/maps"
	"github.com/loupe-dev/loupe/datapath/policy"
	"github.com/loupe-dev/loupe/datapath/proxy"
)

// proxyResolver gives a redirected connection its identities, as the
// datapath resolves them, and its L7 policy as installed.
type proxyResolver struct {
	endpoints *endpoint.Manager
	ipcache   *maps.IPCache
	enforcer  *enforce.Enforcer
}

func (r proxyResolver) lookup(a netip.Addr) (uint16, uint32) {
	if ep, ok := r.endpoints.Snapshot().ByIP(a); ok {
		return uint16(ep.GetId()), ep.GetIdentity()
	}
	if id, ok := r.ipcache.Lookup(a); ok {
		return 0, id
	}
	return 0, identity.World
}

// Resolve implements proxy.Resolver.
func (r proxyResolver) Resolve(src, dst netip.AddrPort, proto uint8) *proxy.Conn {
	srcEP, srcID := r.lookup(src.Addr())
	dstEP, dstID := r.lookup(dst.Addr())
	m := &proxy.Conn{Src: src, Dst: dst, SrcIdentity: srcID, DstIdentity: dstID, Proto: proto,
		Direction: flow.TrafficDirection_EGRESS}
	eg, in := r.enforcer.L7(srcEP, dstEP, srcID, dstID, proto, dst.Port())
	if eg == nil && in == nil {
		// The policy changed after the datapath redirected the
		// connection: nothing restricts it any more; keep it visible.
		eg = &policy.L7Set{AllowAll: true}
	}
	if eg == nil {
		m.Direction = flow.TrafficDirection_INGRESS
	}
	m.Policy = &proxy.Policy{Egress: eg, Ingress: in}
	return m
}

// localEndpoint reports whether an address is a workload of this node.
func (r proxyResolver) localEndpoint(a netip.Addr) bool {
	_, found := r.endpoints.Snapshot().ByIP(a)
	return found
}

// attachToProxy puts the to_proxy program on the loopback's ingress, where
// packets for the proxy that to_endpoint handed over are assigned.
func attachToProxy(attacher *loader.Attacher, objs *loader.LoupeObjects, log *slog.Logger) error {
	lo, err := net.InterfaceByName("lo")
	if err != nil {
		return fmt.Errorf("find loopback: %w", err)
	}
	mode, err := attacher.Attach(lo.Index, loader.Ingress, objs.ToProxy)
	if err != nil {
		return fmt.Errorf("attach to_proxy to lo: %w", err)
	}
	log.Debug("proxy redirect attached", "interface", "lo", "mode", mode)
	return nil
}

// startProxy starts the node's L7 proxy after the collector: its flows go
// there. Stopped before the collector.
func (a *agent) startProxy(o proxyOptions, attacher *loader.Attacher, mgr *endpoint.Manager, enf *enforce.Enforcer, reg prometheus.Registerer) error {
	if err := attachToProxy(attacher, a.objs, a.log); err != nil {
		return err
	}
	r := proxyResolver{endpoints: mgr, ipcache: maps.NewIPCache(a.objs.Ipcache), enforcer: enf}
	h, dns := proxyHandlers(o, a.collector, a.names, r.localEndpoint, a.log)
	a.proxy = proxy.New(proxy.Config{Ports: a.objs.ProxyPorts}, h, r, a.log)
	if err := a.proxy.Start(); err != nil {
		a.proxy = nil
		return fmt.Errorf("start l7 proxy: %w", err)
	}
	reg.MustRegister(newProxyMetrics(a.proxy, dns, a.names))
	return nil
}

// proxyOptions are the agent's flags for the L7 proxy.
type proxyOptions struct {
	keepHeaders   []string
	keepQuery     bool
	omitHeaders   bool
	headerTimeout time.Duration
	minTTL        time.Duration
}

func (o *proxyOptions) addFlags(f *pflag.FlagSet) {
	f.StringSliceVar(&o.keepHeaders, "proxy-keep-headers", nil, "HTTP headers whose values L7 flows keep although they are redacted by default (Authorization, Proxy-Authorization, Cookie, Set-Cookie)")
	f.BoolVar(&o.keepQuery, "proxy-keep-query", false, "keep URL query values in L7 flows (redacted by default)")
	f.BoolVar(&o.omitHeaders, "proxy-omit-headers", false, "record no HTTP headers in L7 flows")
	f.DurationVar(&o.headerTimeout, "proxy-header-timeout", httpproxy.DefaultHeaderTimeout, "time a client has to send a request's headers through the HTTP proxy (slower ones get 408)")
	f.DurationVar(&o.minTTL, "fqdn-min-ttl", 0, "shortest time an address answered for a toFQDNs name stays allowed (0: the answer's TTL)")
}

// l7Parts are the proxy's pieces that the datapath and the collector need
// before the proxy starts: the name cache feeds policy (toFQDNs) and flows
// (names).
type l7Parts struct {
	names *fqdn.Cache
}

// newNameCache builds the DNS name cache; resolve re-installs policy when
// addresses of a toFQDNs name change (set once the enforcer exists).
func newNameCache(o proxyOptions, resolve *func() error, log *slog.Logger) *fqdn.Cache {
	return fqdn.New(fqdn.Config{
		MinTTL: o.minTTL,
		OnChange: func(context.Context) error {
			if *resolve == nil {
				return errors.New("policy is not ready")
			}
			return (*resolve)()
		},
	}, log)
}

// proxyHandlers are the L7 protocol handlers, emitting into the collector.
func proxyHandlers(o proxyOptions, c *collector.Collector, names *fqdn.Cache, local func(netip.Addr) bool, log *slog.Logger) (proxy.Handlers, *dnsproxy.Handler) {
	dial := proxy.TransparentDialer{LocalEndpoint: local}
	dns := dnsproxy.New(dnsproxy.Config{}, dial, c.EmitL7, names, log.With("proxy", "dns"))
	httpCfg := httpproxy.Config{KeepHeaders: o.keepHeaders, KeepQuery: o.keepQuery, OmitHeaders: o.omitHeaders,
		HeaderTimeout: o.headerTimeout}
	return proxy.Handlers{
		HTTP:       httpproxy.New(httpCfg, dial, c.EmitL7, log.With("proxy", "http")),
		DNS:        dns,
		DNSPackets: dns,
		Kafka:      kafkaproxy.New(kafkaproxy.Config{}, dial, c.EmitL7, log.With("proxy", "kafka")),
	}, dns
}
