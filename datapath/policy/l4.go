package policy

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/loupe-dev/loupe/internal/yamlpos"
)

// protoAnyL4 is what protocol ANY stands for: the protocols that have ports.
// ICMP is matched by icmps, never by ports.
var protoAnyL4 = []uint8{ProtoTCP, ProtoUDP, ProtoSCTP}

// ports validates port entries. defaultProto applies when protocol is not
// written: ANY for the native kind (as in Cilium), TCP for Kubernetes.
func (b *builder) ports(list []yamlpos.Value[portSpec], defaultProto string, k8s bool, what string) []L4 {
	var out []L4
	for i, v := range list {
		out = append(out, b.port(v, defaultProto, k8s, fmt.Sprintf("%s[%d]", what, i))...)
	}
	return out
}

func (b *builder) port(v yamlpos.Value[portSpec], defaultProto string, k8s bool, what string) []L4 {
	p := v.V
	ok := true
	proto := strings.ToUpper(p.Protocol.V)
	if !p.Protocol.Set() {
		proto = defaultProto
	}
	var protos []uint8
	switch proto {
	case "TCP":
		protos = []uint8{ProtoTCP}
	case "UDP":
		protos = []uint8{ProtoUDP}
	case "SCTP":
		protos = []uint8{ProtoSCTP}
	case "ANY":
		if !k8s {
			protos = protoAnyL4
			break
		}
		fallthrough
	default:
		want := "TCP, UDP, SCTP or ANY"
		if k8s {
			want = "TCP, UDP or SCTP"
		}
		b.addf(p.Protocol.LineOr(v.Line), "%s: protocol %q: want %s", what, p.Protocol.V, want)
		ok = false
	}
	var lo, hi uint16
	if p.Port.Set() {
		n, err := strconv.Atoi(p.Port.V)
		switch {
		case err != nil:
			b.addf(p.Port.Line, "%s: port %q: named ports are not supported; write the number", what, p.Port.V)
			ok = false
		case n < 1 || n > 65535:
			hint := ""
			if n == 0 {
				hint = " (leave port out to match every port)"
			}
			b.addf(p.Port.Line, "%s: port %d is out of range: want 1-65535%s", what, n, hint)
			ok = false
		default:
			lo, hi = uint16(n), uint16(n)
		}
	}
	if p.EndPort.Set() {
		e := p.EndPort.V
		switch {
		case !p.Port.Set():
			b.addf(p.EndPort.Line, "%s: endPort needs port", what)
			ok = false
		case e < 1 || e > 65535:
			b.addf(p.EndPort.Line, "%s: endPort %d is out of range: want 1-65535", what, e)
			ok = false
		case lo != 0 && e < int(lo):
			b.addf(p.EndPort.Line, "%s: endPort %d is less than port %d", what, e, lo)
			ok = false
		default:
			hi = uint16(e)
		}
	}
	if !ok {
		return nil
	}
	out := make([]L4, len(protos))
	for i, pr := range protos {
		out[i] = L4{Proto: pr, Lo: lo, Hi: hi}
	}
	return out
}

// icmpTypes are the names Cilium accepts for ICMP types, per family.
var icmpTypes = map[uint8]map[string]uint8{
	ProtoICMP: {
		"EchoReply": 0, "DestinationUnreachable": 3, "Redirect": 5, "Echo": 8, "EchoRequest": 8,
		"RouterAdvertisement": 9, "RouterSelection": 10, "TimeExceeded": 11, "ParameterProblem": 12,
		"Timestamp": 13, "TimestampReply": 14, "Photuris": 40, "ExtendedEchoRequest": 42, "ExtendedEchoReply": 43,
	},
	ProtoICMPv6: {
		"DestinationUnreachable": 1, "PacketTooBig": 2, "TimeExceeded": 3, "ParameterProblem": 4,
		"EchoRequest": 128, "EchoReply": 129, "MulticastListenerQuery": 130, "MulticastListenerReport": 131,
		"MulticastListenerDone": 132, "RouterSolicitation": 133, "RouterAdvertisement": 134,
		"NeighborSolicitation": 135, "NeighborAdvertisement": 136, "RedirectMessage": 137,
		"ExtendedEchoRequest": 160, "ExtendedEchoReply": 161,
	},
}

// icmps validates Cilium's icmps: [{fields: [{type, family}]}]. A type is a
// number or one of Cilium's names; the family defaults to IPv4.
func (b *builder) icmps(list []yamlpos.Value[icmpRuleSpec], what string) []L4 {
	var out []L4
	for i, r := range list {
		if len(r.V.Fields) == 0 {
			b.addf(r.Line, "%s[%d]: fields is required: a list of {type, family}", what, i)
			continue
		}
		for j, f := range r.V.Fields {
			if l, ok := b.icmpField(f, fmt.Sprintf("%s[%d].fields[%d]", what, i, j)); ok {
				out = append(out, l)
			}
		}
	}
	return out
}

func (b *builder) icmpField(v yamlpos.Value[icmpFieldSpec], what string) (L4, bool) {
	f := v.V
	proto := ProtoICMP
	switch f.Family.V {
	case "", "IPv4":
	case "IPv6":
		proto = ProtoICMPv6
	default:
		b.addf(f.Family.Line, "%s: family %q: want IPv4 or IPv6", what, f.Family.V)
		return L4{}, false
	}
	if !f.Type.Set() {
		b.addf(v.Line, "%s: type is required", what)
		return L4{}, false
	}
	t, ok := icmpTypes[proto][f.Type.V]
	if !ok {
		n, err := strconv.Atoi(f.Type.V)
		switch {
		case err != nil:
			names := make([]string, 0, len(icmpTypes[proto]))
			for k := range icmpTypes[proto] {
				names = append(names, k)
			}
			slices.Sort(names)
			b.addf(f.Type.Line, "%s: ICMP type %q: want 0-255 or one of %s", what, f.Type.V, strings.Join(names, ", "))
			return L4{}, false
		case n < 0 || n > 255:
			b.addf(f.Type.Line, "%s: ICMP type %d is out of range: want 0-255", what, n)
			return L4{}, false
		}
		t = uint8(n)
	}
	return L4{Proto: proto, Lo: uint16(t), Hi: uint16(t)}, true
}
