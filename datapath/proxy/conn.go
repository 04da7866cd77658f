package proxy

import (
	"context"
	"net"
	"net/netip"

	"github.com/loupe-dev/loupe/api/flow"
)

// Conn is what the proxy knows about one redirected connection (or one
// UDP exchange): the original client and server, their identities, and the
// L7 policy the requests on it must pass.
type Conn struct {
	// Src is the client, Dst the server it asked for (the original
	// destination, before the redirect).
	Src, Dst netip.AddrPort
	// SrcIdentity and DstIdentity are the datapath's identities of both.
	SrcIdentity, DstIdentity uint32
	// Proto is the IP protocol: 6 TCP, 17 UDP.
	Proto uint8
	// Policy decides each request; never nil.
	Policy *Policy
	// Direction is the traffic direction reported in flows: EGRESS when
	// the client's egress policy redirected the connection, INGRESS when
	// only the server's ingress policy did.
	Direction flow.TrafficDirection
}

// StreamHandler serves one redirected TCP connection until the client or
// the server closes it or ctx ends; it closes c. Handlers must survive any
// input: a protocol error closes the connection (or answers it with an
// error), emits an ERROR flow, and returns.
type StreamHandler interface {
	ServeConn(ctx context.Context, c net.Conn, m *Conn)
}

// PacketHandler serves one redirected datagram (a DNS query over UDP).
// reply sends a datagram back to the client from the original destination.
// It is called on its own goroutine per datagram, with at most a bounded
// number in flight.
type PacketHandler interface {
	ServePacket(ctx context.Context, pkt []byte, m *Conn, reply func([]byte) error)
}

// Dialer opens upstream connections to m.Dst as the client would: from the
// client's address, marked so that the datapath forwards them without a
// second redirect (network "tcp" or "udp"). Tests use plain dialers.
type Dialer interface {
	Dial(ctx context.Context, network string, m *Conn) (net.Conn, error)
}

// Emitter hands an L7 flow to the collector, which fills in the node, the
// flow id and the endpoints (labels, namespace, workload) from the
// identities and addresses. It never blocks: a full queue drops the flow
// and counts it as a lost event.
type Emitter func(*flow.Flow)

// PlainDialer dials m.Dst from the host's own address: for tests of the
// protocol handlers without a datapath.
type PlainDialer struct{}

// Dial connects to m.Dst.
func (PlainDialer) Dial(ctx context.Context, network string, m *Conn) (net.Conn, error) {
	var d net.Dialer
	return d.DialContext(ctx, network, m.Dst.String())
}
