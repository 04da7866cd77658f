package parser

import (
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/loupe-dev/loupe/api/flow"
	"github.com/loupe-dev/loupe/collector/decoder"
)

// The messages of one flow are allocated together, one struct per L4
// protocol, so building a flow costs one allocation. The messages point into
// their struct and live as long as the flow does.

type base struct {
	f  flow.Flow
	ts timestamppb.Timestamp
	ip flow.IP
	l4 flow.Layer4
}

type tcpFlow struct {
	base
	w     flow.Layer4_Tcp
	tcp   flow.TCP
	flags flow.TCPFlags
}

type udpFlow struct {
	base
	w   flow.Layer4_Udp
	udp flow.UDP
}

type sctpFlow struct {
	base
	w    flow.Layer4_Sctp
	sctp flow.SCTP
}

type icmp4Flow struct {
	base
	w    flow.Layer4_Icmpv4
	icmp flow.ICMPv4
}

type icmp6Flow struct {
	base
	w    flow.Layer4_Icmpv6
	icmp flow.ICMPv6
}

func (b *base) wire(p *Parser, e *decoder.TraceEvent) *flow.Flow {
	ns := p.WallTime(e.TimeNs)
	b.ts.Seconds, b.ts.Nanos = ns/1e9, int32(ns%1e9)
	b.f.Time, b.f.Ip = &b.ts, &b.ip
	return &b.f
}

// newFlow allocates the flow and its L4 part for e.
func (p *Parser) newFlow(e *decoder.TraceEvent) *flow.Flow {
	if e.Flags&decoder.FlagNoL4 != 0 {
		b := &base{}
		return b.wire(p, e)
	}
	switch e.Proto {
	case 6:
		a := &tcpFlow{}
		f := a.wire(p, e)
		a.tcp.SourcePort, a.tcp.DestinationPort = uint32(e.SrcPort), uint32(e.DstPort)
		a.flags = flow.TCPFlags{
			FIN: e.TCPFlags&0x01 != 0, SYN: e.TCPFlags&0x02 != 0, RST: e.TCPFlags&0x04 != 0,
			PSH: e.TCPFlags&0x08 != 0, ACK: e.TCPFlags&0x10 != 0, URG: e.TCPFlags&0x20 != 0,
			ECE: e.TCPFlags&0x40 != 0, CWR: e.TCPFlags&0x80 != 0,
		}
		a.tcp.Flags, a.w.Tcp, a.l4.Protocol, f.L4 = &a.flags, &a.tcp, &a.w, &a.l4
		return f
	case 17:
		a := &udpFlow{}
		f := a.wire(p, e)
		a.udp.SourcePort, a.udp.DestinationPort = uint32(e.SrcPort), uint32(e.DstPort)
		a.w.Udp, a.l4.Protocol, f.L4 = &a.udp, &a.w, &a.l4
		return f
	case 132:
		a := &sctpFlow{}
		f := a.wire(p, e)
		a.sctp.SourcePort, a.sctp.DestinationPort = uint32(e.SrcPort), uint32(e.DstPort)
		a.w.Sctp, a.l4.Protocol, f.L4 = &a.sctp, &a.w, &a.l4
		return f
	case 1:
		a := &icmp4Flow{}
		f := a.wire(p, e)
		a.icmp.Type, a.icmp.Code = uint32(e.ICMPType), uint32(e.ICMPCode)
		a.w.Icmpv4, a.l4.Protocol, f.L4 = &a.icmp, &a.w, &a.l4
		return f
	case 58:
		a := &icmp6Flow{}
		f := a.wire(p, e)
		a.icmp.Type, a.icmp.Code = uint32(e.ICMPType), uint32(e.ICMPCode)
		a.w.Icmpv6, a.l4.Protocol, f.L4 = &a.icmp, &a.w, &a.l4
		return f
	}
	b := &base{}
	return b.wire(p, e)
}
