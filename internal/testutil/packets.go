package testutil

import (
	"encoding/binary"
	"net/netip"
)

// Packet describes a test frame for BPF_PROG_TEST_RUN.
type Packet struct {
	Src, Dst         netip.Addr
	Proto            uint8 // 6 TCP, 17 UDP, 1 ICMP, 58 ICMPv6, 132 SCTP
	SrcPort, DstPort uint16
	TCPFlags         uint8
	ICMPType         uint8
	ICMPID           uint16
	Payload          int
	// IPv6ExtHeaders puts a hop-by-hop and a destination options header
	// (8 bytes each) between the IPv6 header and L4.
	IPv6ExtHeaders bool
}

// Bytes builds an Ethernet frame with an IPv4 or IPv6 header (by Src) and
// the L4 header. Checksums are left zero: the datapath does not verify them.
func (p Packet) Bytes() []byte {
	var l4 []byte
	switch p.Proto {
	case 6:
		l4 = make([]byte, 20)
		binary.BigEndian.PutUint16(l4[0:], p.SrcPort)
		binary.BigEndian.PutUint16(l4[2:], p.DstPort)
		l4[12] = 5 << 4
		l4[13] = p.TCPFlags
	case 17, 132:
		l4 = make([]byte, 8)
		binary.BigEndian.PutUint16(l4[0:], p.SrcPort)
		binary.BigEndian.PutUint16(l4[2:], p.DstPort)
	case 1, 58:
		l4 = make([]byte, 8)
		l4[0] = p.ICMPType
		binary.BigEndian.PutUint16(l4[4:], p.ICMPID)
	}
	l4 = append(l4, make([]byte, p.Payload)...)

	eth := make([]byte, 14)
	copy(eth[0:6], []byte{2, 0, 0, 0, 0, 2})
	copy(eth[6:12], []byte{2, 0, 0, 0, 0, 1})
	if p.Src.Is4() {
		binary.BigEndian.PutUint16(eth[12:], 0x0800)
		ip := make([]byte, 20)
		ip[0] = 0x45
		binary.BigEndian.PutUint16(ip[2:], uint16(20+len(l4)))
		ip[8] = 64
		ip[9] = p.Proto
		s, d := p.Src.As4(), p.Dst.As4()
		copy(ip[12:], s[:])
		copy(ip[16:], d[:])
		return append(append(eth, ip...), l4...)
	}
	binary.BigEndian.PutUint16(eth[12:], 0x86DD)
	ip := make([]byte, 40)
	ip[0] = 6 << 4
	ip[6] = p.Proto
	if p.IPv6ExtHeaders {
		hop := []byte{60, 0, 1, 4, 0, 0, 0, 0}      // next: destination options; PadN
		dst := []byte{p.Proto, 0, 1, 4, 0, 0, 0, 0} // next: L4
		l4 = append(append(hop, dst...), l4...)
		ip[6] = 0
	}
	binary.BigEndian.PutUint16(ip[4:], uint16(len(l4)))
	ip[7] = 64
	s, d := p.Src.As16(), p.Dst.As16()
	copy(ip[8:], s[:])
	copy(ip[24:], d[:])
	return append(append(eth, ip...), l4...)
}
