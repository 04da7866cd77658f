package printer

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/loupe-dev/loupe/api/flow"
	"github.com/loupe-dev/loupe/collector/filters"
)

// summary is the SUMMARY column: what the flow carried at the highest layer
// known, then the packets and bytes the datapath counted, if any.
func summary(f *flow.Flow) string {
	s := l7Summary(f.GetL7())
	if s == "" {
		s = l4Summary(f.GetL4())
	}
	var counts []string
	if n := f.GetPackets(); n > 0 {
		counts = append(counts, plural(n, "packet"))
	}
	if n := f.GetBytes(); n > 0 {
		counts = append(counts, plural(n, "byte"))
	}
	if len(counts) == 0 {
		return s
	}
	if s == "" {
		return strings.Join(counts, ", ")
	}
	return s + "; " + strings.Join(counts, ", ")
}

func plural(n uint64, unit string) string {
	if n == 1 {
		return "1 " + unit
	}
	return strconv.FormatUint(n, 10) + " " + unit + "s"
}

func l4Summary(l4 *flow.Layer4) string {
	switch p := l4.GetProtocol().(type) {
	case *flow.Layer4_Tcp:
		flags := tcpFlags(p.Tcp.GetFlags())
		if flags == "" {
			return "TCP"
		}
		return "TCP Flags: " + flags
	case *flow.Layer4_Udp:
		return "UDP"
	case *flow.Layer4_Sctp:
		return "SCTP"
	case *flow.Layer4_Icmpv4:
		return "ICMPv4 " + icmpName(icmpv4Types, p.Icmpv4.GetType(), p.Icmpv4.GetCode())
	case *flow.Layer4_Icmpv6:
		return "ICMPv6 " + icmpName(icmpv6Types, p.Icmpv6.GetType(), p.Icmpv6.GetCode())
	}
	return ""
}

// tcpFlags lists set flags as hubble does: "SYN, ACK".
func tcpFlags(t *flow.TCPFlags) string {
	return strings.ReplaceAll(filters.TCPFlagsString(t), ",", ", ")
}

type icmpType struct {
	name  string
	codes map[uint32]string
}

var icmpv4Types = map[uint32]icmpType{
	0: {name: "EchoReply"},
	3: {name: "DestinationUnreachable", codes: map[uint32]string{
		0: "Net", 1: "Host", 2: "Protocol", 3: "Port", 4: "FragmentationNeeded", 5: "SourceRoutingFailed",
		6: "NetUnknown", 7: "HostUnknown", 9: "NetAdminProhibited", 10: "HostAdminProhibited",
		13: "CommAdminProhibited",
	}},
	4:  {name: "SourceQuench"},
	5:  {name: "Redirect", codes: map[uint32]string{0: "Net", 1: "Host", 2: "TOSNet", 3: "TOSHost"}},
	8:  {name: "EchoRequest"},
	9:  {name: "RouterAdvertisement"},
	10: {name: "RouterSolicitation"},
	11: {name: "TimeExceeded", codes: map[uint32]string{0: "TTLExceeded", 1: "FragmentReassemblyTimeExceeded"}},
	12: {name: "ParameterProblem"},
	13: {name: "TimestampRequest"},
	14: {name: "TimestampReply"},
}

var icmpv6Types = map[uint32]icmpType{
	1: {name: "DestinationUnreachable", codes: map[uint32]string{
		0: "NoRouteToDst", 1: "AdminProhibited", 2: "BeyondScopeOfSrc", 3: "AddressUnreachable",
		4: "PortUnreachable", 5: "SrcAddressFailedPolicy", 6: "RejectRouteToDst",
	}},
	2:   {name: "PacketTooBig"},
	3:   {name: "TimeExceeded", codes: map[uint32]string{0: "HopLimitExceeded", 1: "FragmentReassemblyTimeExceeded"}},
	4:   {name: "ParameterProblem"},
	128: {name: "EchoRequest"},
	129: {name: "EchoReply"},
	133: {name: "RouterSolicitation"},
	134: {name: "RouterAdvertisement"},
	135: {name: "NeighborSolicitation"},
	136: {name: "NeighborAdvertisement"},
	137: {name: "Redirect"},
}

// icmpName renders "EchoRequest", "DestinationUnreachable(Port)", or the
// numbers when the type is not known: "Type 42 Code 1".
func icmpName(types map[uint32]icmpType, typ, code uint32) string {
	t, ok := types[typ]
	if !ok {
		return fmt.Sprintf("Type %d Code %d", typ, code)
	}
	if c, ok := t.codes[code]; ok {
		return t.name + "(" + c + ")"
	}
	if code != 0 {
		return fmt.Sprintf("%s(Code %d)", t.name, code)
	}
	return t.name
}

func l7Summary(l7 *flow.Layer7) string {
	switch rec := l7.GetRecord().(type) {
	case *flow.Layer7_Http:
		return httpSummary(l7, rec.Http)
	case *flow.Layer7_Dns:
		return dnsSummary(l7, rec.Dns)
	case *flow.Layer7_Kafka:
		return kafkaSummary(l7, rec.Kafka)
	}
	return ""
}

// httpSummary: "HTTP/1.1 GET http://catalog/items" for a request,
// "HTTP/1.1 200 5ms (GET http://catalog/items)" for a response.
func httpSummary(l7 *flow.Layer7, h *flow.HTTP) string {
	proto := h.GetProtocol()
	if proto == "" {
		proto = "HTTP"
	}
	request := h.GetMethod() + " " + h.GetUrl()
	if l7.GetType() == flow.L7FlowType_RESPONSE {
		latency := time.Duration(l7.GetLatencyNs()) / time.Millisecond
		return fmt.Sprintf("%s %d %dms (%s)", proto, h.GetCode(), latency, request)
	}
	return proto + " " + request
}

var dnsRcodes = map[uint32]string{
	0: "NoError", 1: "FormErr", 2: "ServFail", 3: "NXDomain", 4: "NotImp", 5: "Refused",
}

// dnsSummary: "DNS Query catalog.shop.svc.loupe. A" for a request,
// `DNS Answer "10.0.1.20" TTL: 30 (Query catalog.shop.svc.loupe. A)` or
// "DNS Answer RCode: NXDomain (Query ...)" for a response.
func dnsSummary(l7 *flow.Layer7, d *flow.DNS) string {
	query := "Query " + d.GetQuery() + " " + strings.Join(d.GetQtypes(), ",")
	if l7.GetType() != flow.L7FlowType_RESPONSE {
		return "DNS " + query
	}
	if rc := d.GetRcode(); rc != 0 {
		name, ok := dnsRcodes[rc]
		if !ok {
			name = strconv.FormatUint(uint64(rc), 10)
		}
		return fmt.Sprintf("DNS Answer RCode: %s (%s)", name, query)
	}
	answer := d.GetIps()
	if len(answer) == 0 {
		answer = d.GetCnames()
	}
	return fmt.Sprintf("DNS Answer %q TTL: %d (%s)", strings.Join(answer, ","), d.GetTtl(), query)
}

// kafkaSummary: "Kafka request produce correlation id 7 topic 'orders'".
func kafkaSummary(l7 *flow.Layer7, k *flow.Kafka) string {
	kind := l7Kind(l7.GetType())
	if kind == "" {
		kind = "record"
	}
	s := fmt.Sprintf("Kafka %s %s correlation id %d topic '%s'", kind, k.GetApiKey(), k.GetCorrelationId(), k.GetTopic())
	if l7.GetType() == flow.L7FlowType_RESPONSE {
		s += fmt.Sprintf(" return code %d", k.GetErrorCode())
	}
	return s
}
