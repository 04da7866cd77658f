package e2e

import (
	"net"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/loupe-dev/loupe/api/flow"
)

// dnsOn asks name (type A) on an open DNS connection.
func dnsOn(t *testing.T, c *dns.Conn, name string) *dns.Msg {
	t.Helper()
	q := new(dns.Msg)
	q.SetQuestion(dns.Fqdn(name), dns.TypeA)
	c.SetDeadline(time.Now().Add(5 * time.Second))
	if err := c.WriteMsg(q); err != nil {
		t.Fatalf("ask %s: %v", name, err)
	}
	r, err := c.ReadMsg()
	if err != nil {
		t.Fatalf("answer to %s: %v", name, err)
	}
	return r
}

// dnsMixed: allowed and denied queries on one TCP connection and over UDP;
// denied names get REFUSED from the proxy, allowed ones the server's answer.
func (l *l7Lab) dnsMixed(t *testing.T) {
	for _, network := range []string{"tcp", "udp"} {
		raw, err := l.dial("frontend", network, l.addr("coredns", "53", false))
		if err != nil {
			t.Fatal(err)
		}
		c := &dns.Conn{Conn: raw}
		for _, q := range []struct {
			name  string
			rcode int
		}{
			{"catalog.shop.svc.loupe", dns.RcodeSuccess},
			{"evil.org", dns.RcodeRefused},
			{"cart.svc.loupe", dns.RcodeSuccess},
			{"a.b.c.evil.org", dns.RcodeRefused},
			{"tracker.example.com", dns.RcodeSuccess},
		} {
			r := dnsOn(t, c, q.name)
			if r.Rcode != q.rcode {
				t.Errorf("%s %s: rcode %s, want %s", network, q.name, dns.RcodeToString[r.Rcode], dns.RcodeToString[q.rcode])
			}
			if q.rcode == dns.RcodeSuccess && len(r.Answer) == 0 {
				t.Errorf("%s %s: no answer", network, q.name)
			}
		}
		c.Close()
	}
	l.l7Flows(t, func(fs []*flow.Flow) bool {
		var refused, answered bool
		for _, f := range fs {
			d := f.GetL7().GetDns()
			if d == nil {
				continue
			}
			if f.GetVerdict() == flow.Verdict_DROPPED && strings.HasPrefix(d.GetQuery(), "evil.org") {
				refused = len(f.GetPolicyNames()) > 0
			}
			if f.GetL7().GetType() == flow.L7FlowType_RESPONSE && strings.HasPrefix(d.GetQuery(), "catalog.shop.svc.loupe") {
				answered = len(d.GetIps()) > 0 && d.GetTtl() > 0 && d.GetRcode() == 0 &&
					f.GetL7().GetLatencyNs() > 0 && len(d.GetQtypes()) > 0
			}
		}
		return refused && answered
	}, "--type", "l7", "--workload", "infra/coredns")
}

// dnsGarbage: garbage on the DNS port gets an error (or nothing) and an
// ERROR flow; the next query is served.
func (l *l7Lab) dnsGarbage(t *testing.T) {
	raw, err := l.dial("frontend", "udp", l.addr("coredns", "53", false))
	if err != nil {
		t.Fatal(err)
	}
	raw.Write([]byte("\x01\x02garbage that is not a dns message"))
	raw.SetReadDeadline(time.Now().Add(time.Second))
	buf := make([]byte, 512)
	if n, err := raw.Read(buf); err == nil {
		m := new(dns.Msg)
		if m.Unpack(buf[:n]) == nil && m.Rcode != dns.RcodeFormatError {
			t.Errorf("garbage answered %s, want FORMERR", dns.RcodeToString[m.Rcode])
		}
	}
	c := &dns.Conn{Conn: raw}
	if r := dnsOn(t, c, "catalog.shop.svc.loupe"); r.Rcode != dns.RcodeSuccess {
		t.Errorf("after garbage: %s", dns.RcodeToString[r.Rcode])
	}
	c.Close()
	l.l7Flows(t, func(fs []*flow.Flow) bool {
		for _, f := range fs {
			if f.GetVerdict() == flow.Verdict_ERROR {
				return true
			}
		}
		return false
	}, "--type", "l7", "--workload", "infra/coredns")
}

// fqdnPolicy: the frontend may reach what api.payments.example.com
// resolves to, once it resolved it, and nothing else; when the answer's
// TTL ends, the address is no longer allowed.
func (l *l7Lab) fqdnPolicy(t *testing.T) {
	payments, tracker := l.addr("payments", "8080", false), l.addr("tracker", "8080", false)
	reach := func(target string) bool {
		c, err := l.dialTimeout("frontend", target, time.Second)
		if err != nil {
			return false
		}
		c.Close()
		return true
	}
	if reach(payments) {
		out := loupe(t, "observe", "--server", l.agent.server(), "--last", "20", "--ip", l.addrs["payments"][0])
		t.Fatalf("payments reachable before its name was resolved:\n%s", out)
	}
	raw, err := l.dial("frontend", "udp", l.addr("coredns", "53", false))
	if err != nil {
		t.Fatal(err)
	}
	c := &dns.Conn{Conn: raw}
	defer c.Close()
	r := dnsOn(t, c, "api.payments.example.com")
	if len(r.Answer) == 0 || r.Answer[0].(*dns.A).A.String() != l.addrs["payments"][0] {
		t.Fatalf("api.payments.example.com: %v", r.Answer)
	}
	ttl := time.Duration(r.Answer[0].Header().Ttl) * time.Second
	// The policy is in place when the answer arrives: no retry needed.
	if !reach(payments) {
		t.Fatal("payments not reachable right after its name was answered")
	}
	dnsOn(t, c, "tracker.example.com")
	if reach(tracker) {
		t.Error("tracker.example.com reachable: toFQDNs names only api.payments.example.com")
	}
	// Names of answered addresses enrich flows.
	l.l7Flows(t, func(fs []*flow.Flow) bool {
		for _, f := range fs {
			for _, n := range f.GetDestinationNames() {
				if strings.HasPrefix(n, "api.payments.example.com") {
					return true
				}
			}
		}
		return false
	}, "--ip", l.addrs["payments"][0])
	// After the TTL (and a garbage collection) the address is gone.
	deadline := time.Now().Add(ttl + 5*time.Second)
	for time.Now().Before(deadline) && reach(payments) {
		time.Sleep(500 * time.Millisecond)
	}
	if reach(payments) {
		t.Fatalf("payments still reachable %s after its TTL (%s) ended", time.Until(deadline)+ttl+5*time.Second, ttl)
	}
}

// dialTimeout connects over TCP from a workload with a bound on the wait
// (a dropped SYN is retried by the kernel until then).
func (l *l7Lab) dialTimeout(from, addr string, d time.Duration) (net.Conn, error) {
	var c net.Conn
	err := runIn(l, from, func() error {
		var err error
		c, err = net.DialTimeout("tcp", addr, d)
		return err
	})
	return c, err
}
