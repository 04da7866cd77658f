package rows

import (
	"github.com/loupe-dev/loupe/api/flow"
	"github.com/loupe-dev/loupe/query/schema"
)

func protocol(f *flow.Flow) int16 {
	switch f.GetL4().GetProtocol().(type) {
	case *flow.Layer4_Tcp:
		return schema.ProtoTCP
	case *flow.Layer4_Udp:
		return schema.ProtoUDP
	case *flow.Layer4_Icmpv4:
		return schema.ProtoICMPv4
	case *flow.Layer4_Icmpv6:
		return schema.ProtoICMPv6
	case *flow.Layer4_Sctp:
		return schema.ProtoSCTP
	}
	return schema.ProtoNone
}

func setProtocol(f *flow.Flow, v int16) {
	switch v {
	case schema.ProtoTCP:
		f.L4 = &flow.Layer4{Protocol: &flow.Layer4_Tcp{Tcp: &flow.TCP{}}}
	case schema.ProtoUDP:
		f.L4 = &flow.Layer4{Protocol: &flow.Layer4_Udp{Udp: &flow.UDP{}}}
	case schema.ProtoICMPv4:
		f.L4 = &flow.Layer4{Protocol: &flow.Layer4_Icmpv4{Icmpv4: &flow.ICMPv4{}}}
	case schema.ProtoICMPv6:
		f.L4 = &flow.Layer4{Protocol: &flow.Layer4_Icmpv6{Icmpv6: &flow.ICMPv6{}}}
	case schema.ProtoSCTP:
		f.L4 = &flow.Layer4{Protocol: &flow.Layer4_Sctp{Sctp: &flow.SCTP{}}}
	}
}

func ports(f *flow.Flow) (src, dst uint32) {
	switch p := f.GetL4().GetProtocol().(type) {
	case *flow.Layer4_Tcp:
		return p.Tcp.GetSourcePort(), p.Tcp.GetDestinationPort()
	case *flow.Layer4_Udp:
		return p.Udp.GetSourcePort(), p.Udp.GetDestinationPort()
	case *flow.Layer4_Sctp:
		return p.Sctp.GetSourcePort(), p.Sctp.GetDestinationPort()
	}
	return 0, 0
}

func setPorts(f *flow.Flow, v uint32, src bool) {
	pick := func(s, d *uint32) {
		if src {
			*s = v
		} else {
			*d = v
		}
	}
	switch p := f.GetL4().GetProtocol().(type) {
	case *flow.Layer4_Tcp:
		pick(&p.Tcp.SourcePort, &p.Tcp.DestinationPort)
	case *flow.Layer4_Udp:
		pick(&p.Udp.SourcePort, &p.Udp.DestinationPort)
	case *flow.Layer4_Sctp:
		pick(&p.Sctp.SourcePort, &p.Sctp.DestinationPort)
	}
}

// TCP flag bits as stored in tcp_flags.
const (
	FlagFIN = 1 << iota
	FlagSYN
	FlagRST
	FlagPSH
	FlagACK
	FlagURG
	FlagECE
	FlagCWR
)

func tcpFlags(f *flow.Flow) uint8 {
	t := f.GetL4().GetTcp().GetFlags()
	if t == nil {
		return 0
	}
	var b uint8
	for bit, on := range []bool{t.FIN, t.SYN, t.RST, t.PSH, t.ACK, t.URG, t.ECE, t.CWR} {
		if on {
			b |= 1 << bit
		}
	}
	return b
}

// setTCPFlags always sets Flags on a TCP flow: the parser always does.
func setTCPFlags(f *flow.Flow, b uint8) {
	t := f.GetL4().GetTcp()
	if t == nil {
		return
	}
	t.Flags = &flow.TCPFlags{
		FIN: b&FlagFIN != 0, SYN: b&FlagSYN != 0, RST: b&FlagRST != 0, PSH: b&FlagPSH != 0,
		ACK: b&FlagACK != 0, URG: b&FlagURG != 0, ECE: b&FlagECE != 0, CWR: b&FlagCWR != 0,
	}
}

func icmp(f *flow.Flow) (typ, code uint32) {
	switch p := f.GetL4().GetProtocol().(type) {
	case *flow.Layer4_Icmpv4:
		return p.Icmpv4.GetType(), p.Icmpv4.GetCode()
	case *flow.Layer4_Icmpv6:
		return p.Icmpv6.GetType(), p.Icmpv6.GetCode()
	}
	return 0, 0
}

func setICMP(f *flow.Flow, v uint32, isType bool) {
	switch p := f.GetL4().GetProtocol().(type) {
	case *flow.Layer4_Icmpv4:
		if isType {
			p.Icmpv4.Type = v
		} else {
			p.Icmpv4.Code = v
		}
	case *flow.Layer4_Icmpv6:
		if isType {
			p.Icmpv6.Type = v
		} else {
			p.Icmpv6.Code = v
		}
	}
}
