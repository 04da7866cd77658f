package sqlfilter

import (
	"encoding/hex"
	"net/netip"
	"strconv"
	"strings"
)

// ips: addresses and CIDRs. The columns hold 16 bytes, IPv4 mapped into
// IPv6, so a prefix is one byte range. The live filter unmaps the flow's
// address before testing it, so an IPv6 prefix must not match the mapped
// range, which it contains whole or not at all: a prefix inside it was
// written as IPv4-mapped, which Compile reads as IPv4. A flow without
// addresses (ip_version IP_NOT_USED) has zeros there and matches nothing.
func ips(s side, values []string) expr {
	col := s.col("ip")
	return and(term("ip_version != 'IP_NOT_USED'"), anyOf(values, func(v string) expr {
		p := prefix(v)
		lo, hi := byteRange(p)
		e := term(col+" >= unhex(?) AND "+col+" <= unhex(?)", lo, hi)
		if p.Addr().Is6() && p.Contains(mapped.Addr()) {
			mlo, mhi := byteRange(mapped)
			e = and(e, not(term(col+" >= unhex(?) AND "+col+" <= unhex(?)", mlo, mhi)))
		}
		return e
	}))
}

// mapped is where IPv4 addresses live in the columns.
var mapped = netip.MustParsePrefix("::ffff:0.0.0.0/96")

// prefix reads a value Compile accepted as it does: an address is a full
// length prefix, host bits are dropped, IPv4-mapped means IPv4.
func prefix(v string) netip.Prefix {
	addr, bits, isCIDR := strings.Cut(v, "/")
	a := netip.MustParseAddr(addr).Unmap()
	n := a.BitLen()
	if isCIDR {
		n, _ = strconv.Atoi(bits)
	}
	return netip.PrefixFrom(a, n).Masked()
}

// byteRange is the first and last address of p as hex of 16 bytes.
func byteRange(p netip.Prefix) (lo, hi string) {
	first := p.Addr().As16()
	last := first
	bits := p.Bits()
	if p.Addr().Is4() {
		bits += 96
	}
	for i := range last {
		switch {
		case bits >= 8*(i+1):
		case bits <= 8*i:
			last[i] = 0xff
		default:
			last[i] |= 0xff >> (bits - 8*i)
		}
	}
	return hex.EncodeToString(first[:]), hex.EncodeToString(last[:])
}

// ports: only TCP, UDP and SCTP flows have ports.
func ports(s side, values []string) expr {
	nums := make([]uint16, len(values))
	for i, v := range values {
		n, _ := strconv.ParseUint(v, 10, 16)
		nums[i] = uint16(n)
	}
	return and(term("protocol IN ('TCP', 'UDP', 'SCTP')"), in(s.col("port"), nums))
}
