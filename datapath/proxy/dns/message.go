package dnsproxy

import (
	"net/netip"
	"time"

	"github.com/miekg/dns"
)

// reply is the proxy's own answer to req: same id, question echoed.
func reply(req *dns.Msg, rcode int) *dns.Msg {
	resp := new(dns.Msg)
	resp.SetRcode(req, rcode)
	resp.RecursionAvailable = true
	return resp
}

func pack(m *dns.Msg) []byte {
	b, err := m.Pack()
	if err != nil {
		// Only a question we unpacked is echoed: it packs again.
		return nil
	}
	return b
}

// formErr answers a message whose header is readable but whose body is
// not: the header alone, with the query's id, opcode and RD, and FORMERR.
func formErr(raw []byte) []byte {
	b := make([]byte, 12)
	copy(b, raw[:2])
	b[2] = 0x80 | raw[2]&0x79 // QR, the query's opcode and RD
	b[3] = dns.RcodeFormatError
	return b
}

// answer is what the proxy learns from a server's answer.
type answer struct {
	ips     []netip.Addr
	ttl     time.Duration // the shortest of the answer records
	cnames  []string      // the chain from the name asked, in order
	rrtypes []string
}

// summarize reads the answer records that belong to qname: the CNAME
// chain from it and the addresses of its names. Records about other names
// (a server's additional guesses) are not learned.
func summarize(resp *dns.Msg, qname string) answer {
	var a answer
	chain := map[string]bool{dns.CanonicalName(qname): true}
	// Chains come in order; a few passes take servers that reorder them,
	// bounded by the answer's size.
	for pass := 0; pass < len(resp.Answer); pass++ {
		grown := false
		for _, rr := range resp.Answer {
			c, ok := rr.(*dns.CNAME)
			if ok && chain[dns.CanonicalName(c.Hdr.Name)] && !chain[dns.CanonicalName(c.Target)] {
				chain[dns.CanonicalName(c.Target)] = true
				a.cnames = append(a.cnames, c.Target)
				grown = true
			}
		}
		if !grown {
			break
		}
	}
	var minTTL uint32
	seenType := map[uint16]bool{}
	for i, rr := range resp.Answer {
		h := rr.Header()
		if i == 0 || h.Ttl < minTTL {
			minTTL = h.Ttl
		}
		if !seenType[h.Rrtype] {
			seenType[h.Rrtype] = true
			a.rrtypes = append(a.rrtypes, typeName(h.Rrtype))
		}
		if !chain[dns.CanonicalName(h.Name)] {
			continue
		}
		var ip netip.Addr
		switch r := rr.(type) {
		case *dns.A:
			ip, _ = netip.AddrFromSlice(r.A.To4())
		case *dns.AAAA:
			ip, _ = netip.AddrFromSlice(r.AAAA.To16())
		}
		if ip.IsValid() {
			a.ips = append(a.ips, ip.Unmap())
		}
	}
	a.ttl = time.Duration(minTTL) * time.Second
	return a
}
