package lab

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

// The gateway every workload routes through. No interface owns these
// addresses: permanent neighbour entries in the workload point them at the
// host side of its veth, so the host routes whatever arrives there, as
// Calico and Cilium do. Nothing depends on ARP or NDP.
var (
	gatewayV4 = netip.MustParseAddr("169.254.1.1")
	gatewayV6 = netip.MustParseAddr("fe80::1")
)

// workloadIface is the name of the workload side of the veth pair.
const workloadIface = "eth0"

// plumb connects a workload's (existing) namespace to the host: a veth pair,
// the workload's addresses, its routes through the gateway, and on the host a
// route and a neighbour entry for each of its addresses.
func plumb(lab string, w *Workload) error {
	ns, err := netns.GetFromPath(NetNSPath(w.NetNS))
	if err != nil {
		return fmt.Errorf("open netns %s: %w", w.NetNS, err)
	}
	defer ns.Close()
	in, err := netlink.NewHandleAt(ns)
	if err != nil {
		return fmt.Errorf("open netlink in %s: %w", w.NetNS, err)
	}
	defer in.Close()

	// Creating the peer directly in the workload namespace means no
	// temporary name on the host can collide or be left behind.
	veth := &netlink.Veth{
		LinkAttrs:     netlink.LinkAttrs{Name: w.HostIface},
		PeerName:      workloadIface,
		PeerNamespace: netlink.NsFd(ns),
	}
	if err := netlink.LinkAdd(veth); err != nil {
		return fmt.Errorf("create veth %s: %w", w.HostIface, err)
	}
	host, err := netlink.LinkByName(w.HostIface)
	if err != nil {
		return fmt.Errorf("find veth %s: %w", w.HostIface, err)
	}
	if err := netlink.LinkSetAlias(host, ifaceAlias(lab, w.Namespace, w.Name)); err != nil {
		return fmt.Errorf("set alias of %s: %w", w.HostIface, err)
	}
	eth0, err := in.LinkByName(workloadIface)
	if err != nil {
		return fmt.Errorf("find %s in %s: %w", workloadIface, w.NetNS, err)
	}
	lo, err := in.LinkByName("lo")
	if err != nil {
		return fmt.Errorf("find lo in %s: %w", w.NetNS, err)
	}
	for _, step := range []struct {
		what string
		do   func() error
	}{
		{"set lo up", func() error { return in.LinkSetUp(lo) }},
		{"add ipv4 address", func() error { return in.AddrAdd(eth0, &netlink.Addr{IPNet: hostNet(w.IPv4)}) }},
		// NODAD: the address is usable at once; duplicate detection on a
		// point-to-point link only delays the first packets.
		{"add ipv6 address", func() error {
			return in.AddrAdd(eth0, &netlink.Addr{IPNet: hostNet(w.IPv6), Flags: unix.IFA_F_NODAD})
		}},
		{"set eth0 up", func() error { return in.LinkSetUp(eth0) }},
		{"set host veth up", func() error { return netlink.LinkSetUp(host) }},
		{"route to ipv4 gateway", func() error {
			return in.RouteAdd(&netlink.Route{LinkIndex: eth0.Attrs().Index, Dst: hostNet(gatewayV4), Scope: netlink.SCOPE_LINK})
		}},
		{"route to ipv6 gateway", func() error {
			return in.RouteAdd(&netlink.Route{LinkIndex: eth0.Attrs().Index, Dst: hostNet(gatewayV6)})
		}},
		{"ipv4 default route", func() error {
			return in.RouteAdd(&netlink.Route{LinkIndex: eth0.Attrs().Index, Gw: gatewayV4.AsSlice()})
		}},
		{"ipv6 default route", func() error {
			return in.RouteAdd(&netlink.Route{LinkIndex: eth0.Attrs().Index, Gw: gatewayV6.AsSlice()})
		}},
		{"ipv4 gateway neighbour", func() error { return in.NeighSet(permanent(eth0, gatewayV4, host.Attrs().HardwareAddr)) }},
		{"ipv6 gateway neighbour", func() error { return in.NeighSet(permanent(eth0, gatewayV6, host.Attrs().HardwareAddr)) }},
		{"host route to ipv4", func() error {
			return netlink.RouteAdd(&netlink.Route{LinkIndex: host.Attrs().Index, Dst: hostNet(w.IPv4), Scope: netlink.SCOPE_LINK})
		}},
		{"host route to ipv6", func() error {
			return netlink.RouteAdd(&netlink.Route{LinkIndex: host.Attrs().Index, Dst: hostNet(w.IPv6)})
		}},
		{"host ipv4 neighbour", func() error { return netlink.NeighSet(permanent(host, w.IPv4, eth0.Attrs().HardwareAddr)) }},
		{"host ipv6 neighbour", func() error { return netlink.NeighSet(permanent(host, w.IPv6, eth0.Attrs().HardwareAddr)) }},
	} {
		if err := step.do(); err != nil {
			return fmt.Errorf("%s for %s: %w", step.what, w.ID(), err)
		}
	}
	return nil
}

func hostNet(a netip.Addr) *net.IPNet {
	return &net.IPNet{IP: a.AsSlice(), Mask: net.CIDRMask(a.BitLen(), a.BitLen())}
}

func permanent(l netlink.Link, ip netip.Addr, mac net.HardwareAddr) *netlink.Neigh {
	family := netlink.FAMILY_V4
	if ip.Is6() {
		family = netlink.FAMILY_V6
	}
	return &netlink.Neigh{
		LinkIndex:    l.Attrs().Index,
		Family:       family,
		State:        netlink.NUD_PERMANENT,
		IP:           ip.AsSlice(),
		HardwareAddr: mac,
	}
}

// deleteLink removes a host interface; a missing one is fine. Deleting one
// end of a veth pair deletes both, and with them every route and neighbour
// entry through it.
func deleteLink(name string) error {
	l, err := netlink.LinkByName(name)
	if err != nil {
		var nf netlink.LinkNotFoundError
		if errors.As(err, &nf) {
			return nil
		}
		return fmt.Errorf("find link %s: %w", name, err)
	}
	if err := netlink.LinkDel(l); err != nil && !errors.Is(err, unix.ENODEV) {
		return fmt.Errorf("delete link %s: %w", name, err)
	}
	return nil
}

// listLinks lists host links, retrying when a concurrent change interrupts
// the dump (other labs may be coming and going).
func listLinks() ([]netlink.Link, error) {
	var err error
	for range 5 {
		var links []netlink.Link
		links, err = netlink.LinkList()
		if err == nil {
			return links, nil
		}
		if !errors.Is(err, netlink.ErrDumpInterrupted) {
			break
		}
	}
	return nil, fmt.Errorf("list links: %w", err)
}

// enableForwarding lets the host route between workloads. It is left on
// when the lab goes: the agent and other labs rely on it too.
func enableForwarding() error {
	for _, p := range []string{"/proc/sys/net/ipv4/ip_forward", "/proc/sys/net/ipv6/conf/all/forwarding"} {
		if err := os.WriteFile(p, []byte("1\n"), 0o644); err != nil {
			return fmt.Errorf("enable forwarding: %w", err)
		}
	}
	return nil
}
