package lab

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"strings"
	"sync"
	"time"

	"github.com/miekg/dns"
)

// dnsTTL is short: a lab's addresses change whenever it is recreated.
const dnsTTL = 5

// dnsZone answers for the names of one lab, authoritatively:
// <workload>.<namespace>.svc.loupe. and <workload>.svc.loupe. (every
// workload of that name, whatever its namespace) get A and AAAA records,
// workload addresses get PTR records, and any other name is NXDOMAIN.
type dnsZone struct {
	addrs map[string][]netip.Addr // lower-case FQDN -> addresses
	ptr   map[string]string       // reverse name -> FQDN
	nodes map[string]bool         // names that exist without records (shop.svc.loupe.)
	soa   dns.RR
}

// NewDNSHandler returns the lab DNS server's handler for t.
func NewDNSHandler(t *Topology) dns.Handler { return newZone(t) }

func newZone(t *Topology) *dnsZone {
	z := &dnsZone{addrs: map[string][]netip.Addr{}, ptr: map[string]string{}, nodes: map[string]bool{}}
	primary := "ns." + Zone
	if d := t.DNSServer(); d != nil {
		primary = d.FQDN()
	}
	z.soa = &dns.SOA{
		Hdr:     dns.RR_Header{Name: Zone, Rrtype: dns.TypeSOA, Class: dns.ClassINET, Ttl: dnsTTL},
		Ns:      primary,
		Mbox:    "hostmaster." + Zone,
		Serial:  1,
		Refresh: 60, Retry: 10, Expire: 600, Minttl: dnsTTL,
	}
	for i := range t.Workloads {
		w := &t.Workloads[i]
		for _, name := range []string{w.FQDN(), w.Name + "." + Zone} {
			z.addrs[name] = append(z.addrs[name], w.IPv4, w.IPv6)
			// Every ancestor within the zone exists, as an empty node.
			for n := name; n != Zone && dns.IsSubDomain(Zone, n); {
				i, end := dns.NextLabel(n, 0)
				if end {
					break
				}
				n = n[i:]
				z.nodes[n] = true
			}
		}
		for _, name := range w.Names {
			z.addrs[name] = append(z.addrs[name], w.IPv4, w.IPv6)
		}
		for _, a := range []netip.Addr{w.IPv4, w.IPv6} {
			if rev, err := dns.ReverseAddr(a.String()); err == nil {
				z.ptr[rev] = w.FQDN()
			}
		}
	}
	return z
}

func (z *dnsZone) ServeDNS(w dns.ResponseWriter, r *dns.Msg) {
	m := z.answer(r)
	size := dns.MinMsgSize
	if opt := r.IsEdns0(); opt != nil {
		size = int(max(opt.UDPSize(), dns.MinMsgSize))
		m.SetEdns0(uint16(size), false)
	}
	if _, udp := w.RemoteAddr().(*net.UDPAddr); udp {
		m.Truncate(size)
	}
	w.WriteMsg(m)
}

func (z *dnsZone) answer(r *dns.Msg) *dns.Msg {
	m := new(dns.Msg)
	m.SetReply(r)
	m.RecursionAvailable = false
	if r.Opcode != dns.OpcodeQuery {
		m.Rcode = dns.RcodeNotImplemented
		return m
	}
	if len(r.Question) != 1 {
		m.Rcode = dns.RcodeFormatError
		return m
	}
	q := r.Question[0]
	name := strings.ToLower(q.Name)
	if q.Qclass != dns.ClassINET && q.Qclass != dns.ClassANY {
		m.Rcode = dns.RcodeRefused
		return m
	}
	if target, ok := z.ptr[name]; ok {
		m.Authoritative = true
		if q.Qtype == dns.TypePTR || q.Qtype == dns.TypeANY {
			m.Answer = append(m.Answer, &dns.PTR{Hdr: hdr(q.Name, dns.TypePTR), Ptr: target})
		}
		return m
	}
	if !dns.IsSubDomain(Zone, name) && z.addrs[name] == nil {
		// Not ours, and the lab has no upstream: nothing else exists.
		m.Rcode = dns.RcodeNameError
		return m
	}
	m.Authoritative = true
	addrs, known := z.addrs[name]
	switch {
	case known:
		for _, a := range addrs {
			switch {
			case a.Is4() && (q.Qtype == dns.TypeA || q.Qtype == dns.TypeANY):
				m.Answer = append(m.Answer, &dns.A{Hdr: hdr(q.Name, dns.TypeA), A: a.AsSlice()})
			case a.Is6() && (q.Qtype == dns.TypeAAAA || q.Qtype == dns.TypeANY):
				m.Answer = append(m.Answer, &dns.AAAA{Hdr: hdr(q.Name, dns.TypeAAAA), AAAA: a.AsSlice()})
			}
		}
	case name == Zone:
		if q.Qtype == dns.TypeSOA || q.Qtype == dns.TypeANY {
			m.Answer = append(m.Answer, z.soa)
		}
	case z.nodes[name]:
	default:
		m.Rcode = dns.RcodeNameError
	}
	if len(m.Answer) == 0 {
		// NXDOMAIN and NODATA carry the SOA, for negative caching.
		m.Ns = append(m.Ns, z.soa)
	}
	return m
}

func hdr(name string, t uint16) dns.RR_Header {
	return dns.RR_Header{Name: name, Rrtype: t, Class: dns.ClassINET, Ttl: dnsTTL}
}

// dnsServer serves the zone on UDP and TCP.
type dnsServer struct {
	servers []*dns.Server
	log     *slog.Logger
}

func listenDNS(port uint16, t *Topology, log *slog.Logger) (*dnsServer, error) {
	addr := fmt.Sprintf(":%d", port)
	pc, err := net.ListenPacket("udp", addr)
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		pc.Close()
		return nil, err
	}
	h := newZone(t)
	return &dnsServer{log: log, servers: []*dns.Server{
		{PacketConn: pc, Handler: h},
		{Listener: ln, Handler: h, ReadTimeout: 5 * time.Second, WriteTimeout: 5 * time.Second},
	}}, nil
}

func (s *dnsServer) close() {
	for _, srv := range s.servers {
		if srv.PacketConn != nil {
			srv.PacketConn.Close()
		}
		if srv.Listener != nil {
			srv.Listener.Close()
		}
	}
}

func (s *dnsServer) serve(ctx context.Context) error {
	var wg sync.WaitGroup
	errs := make([]error, len(s.servers))
	for i, srv := range s.servers {
		wg.Go(func() { errs[i] = runDNS(ctx, srv) })
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			s.close()
			return err
		}
	}
	return nil
}

// runDNS runs one miekg server until ctx is done. Shutdown only works on a
// started server, so it waits for the start before watching ctx.
func runDNS(ctx context.Context, srv *dns.Server) error {
	started := make(chan struct{})
	srv.NotifyStartedFunc = func() { close(started) }
	errc := make(chan error, 1)
	go func() { errc <- srv.ActivateAndServe() }()
	select {
	case err := <-errc:
		return fmt.Errorf("serve dns: %w", err)
	case <-started:
	}
	select {
	case err := <-errc:
		return fmt.Errorf("serve dns: %w", err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	srv.ShutdownContext(sctx)
	<-errc
	return nil
}
