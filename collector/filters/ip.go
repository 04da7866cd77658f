package filters

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"github.com/loupe-dev/loupe/api/flow"
)

func sourceIP(f *flow.Flow) string      { return f.GetIp().GetSource() }
func destinationIP(f *flow.Flow) string { return f.GetIp().GetDestination() }

// compileIPs: each value is an IPv4 or IPv6 address or CIDR. Host bits of a
// CIDR are ignored, IPv4-mapped IPv6 addresses compare as IPv4.
func compileIPs(b *builder, field string, values []string, ip func(*flow.Flow) string) {
	if len(values) == 0 {
		return
	}
	prefixes := make([]netip.Prefix, 0, len(values))
	for _, v := range values {
		p, reason := parsePrefix(v)
		if reason != "" {
			b.fail(field, v, reason)
			continue
		}
		prefixes = append(prefixes, p)
	}
	b.add(costList, func(f *flow.Flow) bool {
		// ParseAddr returns a value: this does not allocate.
		a, err := netip.ParseAddr(ip(f))
		if err != nil {
			return false
		}
		a = a.WithZone("").Unmap()
		for _, p := range prefixes {
			if p.Contains(a) {
				return true
			}
		}
		return false
	})
}

// parsePrefix parses an address (as a full-length prefix) or a CIDR and
// returns a reason when it is neither.
func parsePrefix(v string) (netip.Prefix, string) {
	addr, bits, isCIDR := strings.Cut(v, "/")
	a, err := netip.ParseAddr(addr)
	if err != nil || a.Zone() != "" {
		if isCIDR {
			return netip.Prefix{}, fmt.Sprintf("bad CIDR: %q is not an IP address", addr)
		}
		return netip.Prefix{}, "not an IP address or CIDR"
	}
	a = a.Unmap()
	if !isCIDR {
		return netip.PrefixFrom(a, a.BitLen()), ""
	}
	n, err := strconv.Atoi(bits)
	if err != nil || n < 0 || n > a.BitLen() || bits != strconv.Itoa(n) {
		return netip.Prefix{}, fmt.Sprintf("bad CIDR: prefix length %q out of range 0-%d", bits, a.BitLen())
	}
	return netip.PrefixFrom(a, n).Masked(), ""
}

func sourcePort(f *flow.Flow) (uint32, bool) {
	switch p := f.GetL4().GetProtocol().(type) {
	case *flow.Layer4_Tcp:
		return p.Tcp.GetSourcePort(), true
	case *flow.Layer4_Udp:
		return p.Udp.GetSourcePort(), true
	case *flow.Layer4_Sctp:
		return p.Sctp.GetSourcePort(), true
	}
	return 0, false
}

func destinationPort(f *flow.Flow) (uint32, bool) {
	switch p := f.GetL4().GetProtocol().(type) {
	case *flow.Layer4_Tcp:
		return p.Tcp.GetDestinationPort(), true
	case *flow.Layer4_Udp:
		return p.Udp.GetDestinationPort(), true
	case *flow.Layer4_Sctp:
		return p.Sctp.GetDestinationPort(), true
	}
	return 0, false
}

// compilePorts: each value is a decimal port number; only TCP, UDP and SCTP
// flows have ports.
func compilePorts(b *builder, field string, values []string, port func(*flow.Flow) (uint32, bool)) {
	if len(values) == 0 {
		return
	}
	ports := make([]uint32, 0, len(values))
	for _, v := range values {
		n, err := strconv.ParseUint(v, 10, 16)
		if err != nil {
			b.fail(field, v, "not a port number (want 0-65535)")
			continue
		}
		ports = append(ports, uint32(n))
	}
	b.add(costNumber, func(f *flow.Flow) bool {
		p, ok := port(f)
		if !ok {
			return false
		}
		for _, want := range ports {
			if p == want {
				return true
			}
		}
		return false
	})
}
