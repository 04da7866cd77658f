package dnsproxy

import (
	"context"
	"net"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/miekg/dns"
	"go.uber.org/goleak"

	"github.com/loupe-dev/loupe/api/flow"
	"github.com/loupe-dev/loupe/datapath/policy"
	"github.com/loupe-dev/loupe/datapath/proxy"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// testServer is a DNS server on loopback, UDP and TCP on one port.
//
//	a.example.com     A 192.0.2.1 (TTL 30), AAAA 2001:db8::1 (TTL 30)
//	www.example.com   CNAME edge.example.net (TTL 300), its A 192.0.2.7 (TTL 20)
//	spoof.example.com A 192.0.2.8, plus an A for other.org it was not asked
//	hold.example.com  never answered (held is told)
//	anything else     NXDOMAIN
type testServer struct {
	addr netip.AddrPort
	held chan string
}

func startServer(t testing.TB) *testServer { return startServerWith(t, -1) }

// startServerWith closes TCP connections after maxTCP queries (-1: never).
func startServerWith(t testing.TB, maxTCP int) *testServer {
	t.Helper()
	var ln net.Listener
	var pc net.PacketConn
	for range 20 {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		p, err := net.ListenPacket("udp", l.Addr().String())
		if err == nil {
			ln, pc = l, p
			break
		}
		l.Close()
	}
	if ln == nil {
		t.Fatal("no port free for both UDP and TCP")
	}
	s := &testServer{addr: ln.Addr().(*net.TCPAddr).AddrPort(), held: make(chan string, 64)}
	udp := &dns.Server{PacketConn: pc, Handler: dns.HandlerFunc(s.serve)}
	tcp := &dns.Server{Listener: ln, Handler: dns.HandlerFunc(s.serve), MaxTCPQueries: maxTCP,
		IdleTimeout: func() time.Duration { return time.Minute }}
	// Shutdown before a server started is refused and leaves it serving
	// forever: wait for both to start.
	started := make(chan struct{}, 2)
	udp.NotifyStartedFunc = func() { started <- struct{}{} }
	tcp.NotifyStartedFunc = func() { started <- struct{}{} }
	var wg sync.WaitGroup
	wg.Go(func() { udp.ActivateAndServe() })
	wg.Go(func() { tcp.ActivateAndServe() })
	<-started
	<-started
	t.Cleanup(func() {
		udp.Shutdown()
		tcp.Shutdown()
		wg.Wait()
	})
	return s
}

func (s *testServer) serve(w dns.ResponseWriter, r *dns.Msg) {
	q := r.Question[0]
	name := dns.CanonicalName(q.Name)
	m := new(dns.Msg)
	m.SetReply(r)
	rr := func(s string) dns.RR {
		x, err := dns.NewRR(s)
		if err != nil {
			panic(err)
		}
		return x
	}
	switch {
	case name == "hold.example.com.":
		s.held <- name
		return
	case name == "a.example.com." && q.Qtype == dns.TypeA:
		m.Answer = append(m.Answer, rr("a.example.com. 30 IN A 192.0.2.1"))
	case name == "a.example.com." && q.Qtype == dns.TypeAAAA:
		m.Answer = append(m.Answer, rr("a.example.com. 30 IN AAAA 2001:db8::1"))
	case name == "www.example.com.":
		m.Answer = append(m.Answer, rr("www.example.com. 300 IN CNAME edge.example.net."), rr("edge.example.net. 20 IN A 192.0.2.7"))
	case name == "spoof.example.com.":
		m.Answer = append(m.Answer, rr("spoof.example.com. 60 IN A 192.0.2.8"), rr("other.org. 60 IN A 203.0.113.9"))
	default:
		m.Rcode = dns.RcodeNameError
	}
	w.WriteMsg(m)
}

// recorder keeps the flows a handler emits.
type recorder struct {
	mu    sync.Mutex
	flows []*flow.Flow
}

func (r *recorder) emit(f *flow.Flow) {
	r.mu.Lock()
	r.flows = append(r.flows, f)
	r.mu.Unlock()
}

// take returns the flows emitted so far and forgets them.
func (r *recorder) take() []*flow.Flow {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := r.flows
	r.flows = nil
	return out
}

// learner records Learn calls; err, when set, is what Learn returns.
type learner struct {
	mu    sync.Mutex
	calls []learnCall
	err   error
}

type learnCall struct {
	Name   string
	IPs    []netip.Addr
	TTL    time.Duration
	CNAMEs []string
}

func (l *learner) Learn(_ context.Context, name string, ips []netip.Addr, ttl time.Duration, cnames []string) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.calls = append(l.calls, learnCall{name, ips, ttl, cnames})
	return l.err
}

// dnsPolicy allows a.example.com by name and *.example.com by pattern,
// nothing else.
func dnsPolicy(t testing.TB) *proxy.Policy {
	t.Helper()
	var rules []policy.DNSRule
	for _, r := range []policy.DNSRule{{MatchName: "a.example.com"}, {MatchPattern: "*.example.com"}} {
		c, err := policy.NewDNSRule(r)
		if err != nil {
			t.Fatal(err)
		}
		rules = append(rules, c)
	}
	return &proxy.Policy{Egress: &policy.L7Set{Grants: []policy.L7Grant{
		{Policy: "shop/dns-egress", Rule: "shop/dns-egress egress[0]", Rules: &policy.L7Rules{DNS: rules}},
	}}}
}

func testConn(t testing.TB, srv *testServer, proto uint8) *proxy.Conn {
	return &proxy.Conn{
		Src: netip.MustParseAddrPort("127.0.0.1:40000"), Dst: srv.addr,
		SrcIdentity: 1001, DstIdentity: 2002, Proto: proto,
		Policy: dnsPolicy(t), Direction: flow.TrafficDirection_EGRESS,
	}
}

func query(name string, qtype uint16) *dns.Msg {
	m := new(dns.Msg)
	m.SetQuestion(dns.Fqdn(name), qtype)
	return m
}

// serveTCP runs h behind a loopback listener as the proxy's TCP listener
// would (with m's addresses, the client's port from the connection) and
// returns its address; cleanup stops it and waits for every connection.
func serveTCP(t testing.TB, h *Handler, m *proxy.Conn) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mc := *m
			mc.Src = c.RemoteAddr().(*net.TCPAddr).AddrPort()
			wg.Go(func() { h.ServeConn(ctx, c, &mc) })
		}
	})
	t.Cleanup(func() {
		cancel()
		ln.Close()
		wg.Wait()
	})
	return ln.Addr().String()
}

// serveUDP runs h behind a loopback UDP socket as the proxy's datagram
// loop would, a goroutine per datagram.
func serveUDP(t testing.TB, h *Handler, m *proxy.Conn) string {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			buf := make([]byte, maxMessage)
			n, from, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			mc := *m
			mc.Src = from.(*net.UDPAddr).AddrPort()
			wg.Go(func() {
				h.ServePacket(ctx, buf[:n], &mc, func(b []byte) error {
					_, err := pc.WriteTo(b, from)
					return err
				})
			})
		}
	})
	t.Cleanup(func() {
		cancel()
		pc.Close()
		wg.Wait()
	})
	return pc.LocalAddr().String()
}

func contextWithCancel() (context.Context, context.CancelFunc) {
	return context.WithCancel(context.Background())
}

func (l *learner) got() []learnCall {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]learnCall(nil), l.calls...)
}
