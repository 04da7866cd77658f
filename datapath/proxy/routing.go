package proxy

import (
	"errors"
	"fmt"
	"net"
	"os"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// Marks shared with bpf/proxy.h.
const (
	markMask = 0xffff0000
	// MarkTo is set by the datapath on packets for the proxy.
	MarkTo = 0x4c500000
	// MarkFrom is set by the proxy on its upstream sockets (SO_MARK).
	MarkFrom = 0x4c510000
)

// Routing is the policy routing that delivers packets marked MarkTo to the
// host: a rule sends them to a table whose default route is local.
//
// Install also turns off the host's early demux (net.ipv4.ip_early_demux,
// which covers IPv6 too). Early demux looks received packets up among
// local sockets before routing; a packet that a workload sends to another
// workload whose ingress policy redirects to the proxy would otherwise find
// the proxy's socket of that very connection while it passes through the
// host, be marked as local and be dropped when forwarded, before the
// receiving workload's hook can hand it to the proxy.
type Routing struct {
	Table    int // default 2004
	Priority int // of the rule; default 100
}

func (r Routing) defaults() Routing {
	if r.Table == 0 {
		r.Table = 2004
	}
	if r.Priority == 0 {
		r.Priority = 100
	}
	return r
}

func (r Routing) rule(family int) *netlink.Rule {
	rule := netlink.NewRule()
	rule.Family = family
	rule.Mark = MarkTo
	m := uint32(markMask)
	rule.Mask = &m
	rule.Table = r.Table
	rule.Priority = r.Priority
	return rule
}

func (r Routing) route(family int) *netlink.Route {
	lo, _ := netlink.LinkByName("lo")
	dst := &net.IPNet{IP: net.IPv4zero, Mask: net.CIDRMask(0, 32)}
	if family == unix.AF_INET6 {
		dst = &net.IPNet{IP: net.IPv6zero, Mask: net.CIDRMask(0, 128)}
	}
	rt := &netlink.Route{Dst: dst, Type: unix.RTN_LOCAL, Table: r.Table, Scope: netlink.SCOPE_HOST, Family: family}
	if lo != nil {
		rt.LinkIndex = lo.Attrs().Index
	}
	return rt
}

const earlyDemux = "/proc/sys/net/ipv4/ip_early_demux"

// Install adds the rules and routes for both families; it is idempotent.
func (r Routing) Install() error {
	r = r.defaults()
	if err := os.WriteFile(earlyDemux, []byte("0\n"), 0o644); err != nil {
		return fmt.Errorf("turn off early demux: %w", err)
	}
	for _, fam := range []int{unix.AF_INET, unix.AF_INET6} {
		if err := netlink.RouteReplace(r.route(fam)); err != nil {
			return fmt.Errorf("proxy route (table %d): %w", r.Table, err)
		}
		if err := netlink.RuleAdd(r.rule(fam)); err != nil && !errors.Is(err, unix.EEXIST) {
			return fmt.Errorf("proxy rule (fwmark %#x): %w", MarkTo, err)
		}
	}
	return nil
}

// Remove deletes what Install added, and turns early demux back on;
// missing pieces are not an error.
func (r Routing) Remove() error {
	r = r.defaults()
	var errs []error
	if err := os.WriteFile(earlyDemux, []byte("1\n"), 0o644); err != nil {
		errs = append(errs, fmt.Errorf("turn on early demux: %w", err))
	}
	for _, fam := range []int{unix.AF_INET, unix.AF_INET6} {
		if err := netlink.RuleDel(r.rule(fam)); err != nil && !errors.Is(err, unix.ENOENT) && !errors.Is(err, unix.ESRCH) {
			errs = append(errs, fmt.Errorf("remove proxy rule: %w", err))
		}
		if err := netlink.RouteDel(r.route(fam)); err != nil && !errors.Is(err, unix.ESRCH) && !errors.Is(err, unix.ENOENT) {
			errs = append(errs, fmt.Errorf("remove proxy route: %w", err))
		}
	}
	return errors.Join(errs...)
}
