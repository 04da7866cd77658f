package lab

import (
	"context"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/netip"
	"os"
	"sync/atomic"
	"syscall"

	"github.com/miekg/dns"
	"github.com/vishvananda/netns"
	"golang.org/x/net/icmp"
	"golang.org/x/net/ipv4"
	"golang.org/x/net/ipv6"
)

// actor performs one traffic flow from inside its source's namespace.
type actor struct {
	topo     *Topology
	flow     Flow
	src, dst *Workload
	ns       netns.NsHandle // the source's network namespace
	dns      *Workload      // the lab's DNS server, or nil
	seq      atomic.Uint32
}

func (a *actor) act(ctx context.Context, fam Family) outcome {
	switch a.flow.Protocol {
	case HTTP:
		return a.http(ctx, fam)
	case DNS:
		return a.dnsQuery(ctx, fam)
	case TCP:
		return a.tcp(ctx, fam)
	case UDP:
		return a.udp(ctx, fam)
	case ICMP:
		return a.icmp(ctx, fam)
	}
	return outcome{note: "unknown-protocol"}
}

func addrOf(w *Workload, fam Family) netip.Addr {
	if fam == IPv6 {
		return w.IPv6
	}
	return w.IPv4
}

// dial connects from the source namespace. Only the socket's creation needs
// the namespace; it stays there for the rest of its life.
func (a *actor) dial(ctx context.Context, network string, to netip.AddrPort) (net.Conn, error) {
	var c net.Conn
	err := inNetNS(a.ns, func() error {
		var d net.Dialer
		var err error
		c, err = d.DialContext(ctx, network, to.String())
		return err
	})
	return c, err
}

// http GETs the flow's path from the destination by name, resolved through
// the lab DNS as a program in the workload would: the short name in the
// same namespace, name.namespace across namespaces.
func (a *actor) http(ctx context.Context, fam Family) outcome {
	ip, o := a.resolve(ctx, fam)
	if !o.ok {
		return o
	}
	host := a.dst.Name
	if a.dst.Namespace != a.src.Namespace {
		host += "." + a.dst.Namespace
	}
	tr := &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			return a.dial(ctx, "tcp", netip.AddrPortFrom(ip, a.flow.Port))
		},
		DisableKeepAlives: true, // one connection per request: a flow per request
	}
	defer tr.CloseIdleConnections()
	url := fmt.Sprintf("http://%s:%d%s", host, a.flow.Port, a.flow.Path)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return outcome{note: "bad-request"}
	}
	req.Header.Set("User-Agent", "loupe-lab-traffic")
	// As an instrumented client would: every request starts a sampled
	// trace (W3C traceparent), which flows and exemplars carry.
	req.Header.Set("traceparent", newTraceParent())
	resp, err := (&http.Client{Transport: tr}).Do(req)
	if err != nil {
		return outcome{note: classify(err)}
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	resp.Body.Close()
	switch {
	case resp.StatusCode >= 500:
		return outcome{ok: true, note: "5xx"}
	case resp.StatusCode >= 400:
		return outcome{ok: true, note: "4xx"}
	}
	return outcome{ok: true}
}

// resolve looks the destination up through the lab DNS (A for IPv4, AAAA
// for IPv6), asking the first nameserver of resolv.conf as glibc would. A
// lab without DNS server falls back to the topology.
func (a *actor) resolve(ctx context.Context, fam Family) (netip.Addr, outcome) {
	if a.dns == nil {
		return addrOf(a.dst, fam), outcome{ok: true}
	}
	qtype := dns.TypeA
	if fam == IPv6 {
		qtype = dns.TypeAAAA
	}
	r, err := a.query(ctx, netip.AddrPortFrom(a.dns.IPv4, 53), a.dst.FQDN(), qtype)
	if err != nil {
		return netip.Addr{}, outcome{note: "dns-" + classify(err)}
	}
	for _, rr := range r.Answer {
		switch rr := rr.(type) {
		case *dns.A:
			if ip, ok := netip.AddrFromSlice(rr.A.To4()); ok {
				return ip, outcome{ok: true}
			}
		case *dns.AAAA:
			if ip, ok := netip.AddrFromSlice(rr.AAAA); ok {
				return ip, outcome{ok: true}
			}
		}
	}
	return netip.Addr{}, outcome{note: "dns-" + dns.RcodeToString[r.Rcode]}
}

func (a *actor) query(ctx context.Context, server netip.AddrPort, name string, qtype uint16) (*dns.Msg, error) {
	c, err := a.dial(ctx, "udp", server)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	m := new(dns.Msg).SetQuestion(name, qtype)
	r, _, err := (&dns.Client{Net: "udp", Timeout: actionTimeout}).ExchangeWithConnContext(ctx, m, &dns.Conn{Conn: c})
	return r, err
}

// dnsQuery asks the destination for the flow's name, or in turn for every
// workload of the lab and, every fourth time, a name that does not exist;
// A and AAAA alternate.
func (a *actor) dnsQuery(ctx context.Context, fam Family) outcome {
	n := int(a.seq.Add(1))
	qtype := dns.TypeA
	if n%2 == 0 {
		qtype = dns.TypeAAAA
	}
	name := a.flow.Query
	if name == "" {
		if n%4 == 0 {
			name = fmt.Sprintf("missing-%d.%s.%s", n, a.src.Namespace, Zone)
		} else {
			name = a.topo.Workloads[(n-n/4)%len(a.topo.Workloads)].FQDN()
		}
	}
	r, err := a.query(ctx, netip.AddrPortFrom(addrOf(a.dst, fam), a.flow.Port), name, qtype)
	if err != nil {
		return outcome{note: classify(err)}
	}
	switch r.Rcode {
	case dns.RcodeSuccess:
		return outcome{ok: true}
	case dns.RcodeNameError:
		return outcome{ok: true, note: "nxdomain"}
	}
	return outcome{ok: true, note: dns.RcodeToString[r.Rcode]}
}

// tcp connects, sends a small request and reads the echo back.
func (a *actor) tcp(ctx context.Context, fam Family) outcome {
	c, err := a.dial(ctx, "tcp", netip.AddrPortFrom(addrOf(a.dst, fam), a.flow.Port))
	if err != nil {
		return outcome{note: classify(err)}
	}
	defer c.Close()
	return exchange(ctx, c, fmt.Sprintf("SELECT 1; -- %s -> %s\n", a.src.ID(), a.dst.ID()))
}

// udp sends one datagram and waits for the echo.
func (a *actor) udp(ctx context.Context, fam Family) outcome {
	c, err := a.dial(ctx, "udp", netip.AddrPortFrom(addrOf(a.dst, fam), a.flow.Port))
	if err != nil {
		return outcome{note: classify(err)}
	}
	defer c.Close()
	return exchange(ctx, c, fmt.Sprintf("loupe.lab.requests:1|c|#src:%s\n", a.src.ID()))
}

// exchange writes payload and reads as many bytes back.
func exchange(ctx context.Context, c net.Conn, payload string) outcome {
	if d, ok := ctx.Deadline(); ok {
		c.SetDeadline(d)
	}
	if _, err := io.WriteString(c, payload); err != nil {
		return outcome{note: classify(err)}
	}
	buf := make([]byte, len(payload))
	if _, err := io.ReadFull(c, buf); err != nil {
		return outcome{note: classify(err)}
	}
	return outcome{ok: true}
}

// icmp sends one echo request over a raw socket of the source namespace and
// waits for the matching reply.
func (a *actor) icmp(ctx context.Context, fam Family) outcome {
	dst := addrOf(a.dst, fam)
	network, listen, proto := "ip4:icmp", "0.0.0.0", 1
	var reqType, replyType icmp.Type = ipv4.ICMPTypeEcho, ipv4.ICMPTypeEchoReply
	if fam == IPv6 {
		network, listen, proto = "ip6:ipv6-icmp", "::", 58
		reqType, replyType = ipv6.ICMPTypeEchoRequest, ipv6.ICMPTypeEchoReply
	}
	var pc *icmp.PacketConn
	if err := inNetNS(a.ns, func() error {
		var err error
		pc, err = icmp.ListenPacket(network, listen)
		return err
	}); err != nil {
		return outcome{note: classify(err)}
	}
	defer pc.Close()
	id, seq := rand.N(1<<16), int(a.seq.Add(1)&0xffff)
	msg, err := (&icmp.Message{Type: reqType, Body: &icmp.Echo{ID: id, Seq: seq, Data: []byte("loupe lab ping")}}).Marshal(nil)
	if err != nil {
		return outcome{note: "error"}
	}
	if _, err := pc.WriteTo(msg, &net.IPAddr{IP: dst.AsSlice()}); err != nil {
		return outcome{note: classify(err)}
	}
	deadline, _ := ctx.Deadline()
	pc.SetReadDeadline(deadline)
	buf := make([]byte, 1500)
	// A raw socket sees every ICMP packet of the namespace; keep reading
	// until our own reply comes or time is up.
	for {
		n, peer, err := pc.ReadFrom(buf)
		if err != nil {
			return outcome{note: classify(err)}
		}
		m, err := icmp.ParseMessage(proto, buf[:n])
		if err != nil || m.Type != replyType {
			continue
		}
		echo, ok := m.Body.(*icmp.Echo)
		from, _ := netip.ParseAddr(peer.String())
		if ok && echo.ID == id && echo.Seq == seq && from.Unmap() == dst {
			return outcome{ok: true}
		}
	}
}

// classify names why an action failed, for the summary.
func classify(err error) string {
	var ne net.Error
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		return "refused"
	case errors.Is(err, syscall.ECONNRESET):
		return "reset"
	case errors.Is(err, syscall.EHOSTUNREACH), errors.Is(err, syscall.ENETUNREACH):
		return "unreachable"
	case errors.Is(err, syscall.EPERM), errors.Is(err, syscall.EACCES):
		return "denied"
	case errors.Is(err, os.ErrDeadlineExceeded), errors.Is(err, context.DeadlineExceeded),
		errors.As(err, &ne) && ne.Timeout():
		return "timeout"
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "closed"
	}
	return "error"
}

// newTraceParent starts a sampled W3C trace: version 00, a random trace
// id and parent span id.
func newTraceParent() string {
	var b [24]byte
	for i := 0; i < len(b); i += 8 {
		binary.LittleEndian.PutUint64(b[i:], rand.Uint64())
	}
	return "00-" + hex.EncodeToString(b[:16]) + "-" + hex.EncodeToString(b[16:]) + "-01"
}
