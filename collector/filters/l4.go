package filters

import (
	"strings"

	"github.com/loupe-dev/loupe/api/flow"
)

// protocolBits identify the protocols a flow carries, at L4 and L7.
type protocolBits uint16

const (
	protoTCP protocolBits = 1 << iota
	protoUDP
	protoICMPv4
	protoICMPv6
	protoSCTP
	protoHTTP
	protoDNS
	protoKafka
)

var protocolNames = map[string]protocolBits{
	"tcp":    protoTCP,
	"udp":    protoUDP,
	"icmp":   protoICMPv4 | protoICMPv6,
	"icmpv4": protoICMPv4,
	"icmpv6": protoICMPv6,
	"sctp":   protoSCTP,
	"http":   protoHTTP,
	"dns":    protoDNS,
	"kafka":  protoKafka,
}

func flowProtocols(f *flow.Flow) protocolBits {
	var bits protocolBits
	switch f.GetL4().GetProtocol().(type) {
	case *flow.Layer4_Tcp:
		bits |= protoTCP
	case *flow.Layer4_Udp:
		bits |= protoUDP
	case *flow.Layer4_Icmpv4:
		bits |= protoICMPv4
	case *flow.Layer4_Icmpv6:
		bits |= protoICMPv6
	case *flow.Layer4_Sctp:
		bits |= protoSCTP
	}
	switch f.GetL7().GetRecord().(type) {
	case *flow.Layer7_Http:
		bits |= protoHTTP
	case *flow.Layer7_Dns:
		bits |= protoDNS
	case *flow.Layer7_Kafka:
		bits |= protoKafka
	}
	return bits
}

// compileProtocols: each value is an L4 protocol (tcp, udp, sctp, icmp for
// both versions, icmpv4, icmpv6) or an L7 one (http, dns, kafka), in any case.
func compileProtocols(b *builder, values []string) {
	if len(values) == 0 {
		return
	}
	var want protocolBits
	for _, v := range values {
		bits, ok := protocolNames[strings.ToLower(v)]
		if !ok {
			b.fail("protocol", v, "want one of tcp, udp, sctp, icmp, icmpv4, icmpv6, http, dns, kafka")
			continue
		}
		want |= bits
	}
	b.add(costEnum, func(f *flow.Flow) bool { return flowProtocols(f)&want != 0 })
}

// tcpFlagBits packs the flags of a TCPFlags message.
func tcpFlagBits(t *flow.TCPFlags) uint8 {
	var bits uint8
	for i, set := range [...]bool{t.GetFIN(), t.GetSYN(), t.GetRST(), t.GetPSH(), t.GetACK(), t.GetURG(), t.GetECE(), t.GetCWR()} {
		if set {
			bits |= 1 << i
		}
	}
	return bits
}

// TCPFlagsString renders the set flags of t as "SYN,ACK", in the order the
// CLI accepts them; empty when none is set.
func TCPFlagsString(t *flow.TCPFlags) string {
	var names []string
	for _, fl := range [...]struct {
		set  bool
		name string
	}{
		{t.GetSYN(), "SYN"}, {t.GetACK(), "ACK"}, {t.GetFIN(), "FIN"}, {t.GetRST(), "RST"},
		{t.GetPSH(), "PSH"}, {t.GetURG(), "URG"}, {t.GetECE(), "ECE"}, {t.GetCWR(), "CWR"},
	} {
		if fl.set {
			names = append(names, fl.name)
		}
	}
	return strings.Join(names, ",")
}

// compileTCPFlags: a TCP flow matches a value if every flag set in the value
// is set on the flow; {SYN} matches SYN and SYN-ACK, {SYN,ACK} only SYN-ACK.
func compileTCPFlags(b *builder, values []*flow.TCPFlags) {
	if len(values) == 0 {
		return
	}
	masks := make([]uint8, 0, len(values))
	for _, v := range values {
		m := tcpFlagBits(v)
		if m == 0 {
			b.fail("tcp_flags", "{}", "set at least one flag (FIN, SYN, RST, PSH, ACK, URG, ECE, CWR)")
			continue
		}
		masks = append(masks, m)
	}
	b.add(costEnum, func(f *flow.Flow) bool {
		tcp := f.GetL4().GetTcp()
		if tcp == nil {
			return false
		}
		got := tcpFlagBits(tcp.GetFlags())
		for _, m := range masks {
			if got&m == m {
				return true
			}
		}
		return false
	})
}
