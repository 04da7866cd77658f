package proxy

import (
	"context"
	"fmt"
	"net"
	"net/netip"
)

// TransparentDialer connects upstream as the client: from the client's
// address (IP_TRANSPARENT), with MarkFrom so the datapath polices the
// connection without redirecting it again and hands its replies back to
// the host. Destinations that are not local endpoints are dialed from the
// host's own address (the datapath sees no reply of theirs), still marked.
type TransparentDialer struct {
	// LocalEndpoint reports whether an address belongs to a workload on
	// this node.
	LocalEndpoint func(a netip.Addr) bool
}

// Dial opens network ("tcp" or "udp") to m.Dst.
func (d TransparentDialer) Dial(ctx context.Context, network string, m *Conn) (net.Conn, error) {
	src := m.Src.Addr().Unmap()
	dst := m.Dst.Addr().Unmap()
	fam := "4"
	if dst.Is6() {
		fam = "6"
	}
	nd := net.Dialer{Control: transparent(MarkFrom, false)}
	if d.LocalEndpoint != nil && d.LocalEndpoint(dst) {
		switch network {
		case "tcp":
			nd.LocalAddr = &net.TCPAddr{IP: src.AsSlice()}
		case "udp":
			nd.LocalAddr = &net.UDPAddr{IP: src.AsSlice()}
		}
	}
	c, err := nd.DialContext(ctx, network+fam, net.JoinHostPort(dst.String(), fmt.Sprint(m.Dst.Port())))
	if err != nil {
		return nil, fmt.Errorf("dial upstream %s: %w", m.Dst, err)
	}
	return c, nil
}
