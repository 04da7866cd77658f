package sqlfilter

import (
	"strings"

	"github.com/loupe-dev/loupe/api/flow"
)

// protocolColumns: L4 protocols are in protocol, L7 ones in l7_protocol,
// under the names of the schema's Enum types.
var protocolColumns = map[string][]struct{ col, name string }{
	"tcp":    {{"protocol", "TCP"}},
	"udp":    {{"protocol", "UDP"}},
	"icmp":   {{"protocol", "ICMPv4"}, {"protocol", "ICMPv6"}},
	"icmpv4": {{"protocol", "ICMPv4"}},
	"icmpv6": {{"protocol", "ICMPv6"}},
	"sctp":   {{"protocol", "SCTP"}},
	"http":   {{"l7_protocol", "HTTP"}},
	"dns":    {{"l7_protocol", "DNS"}},
	"kafka":  {{"l7_protocol", "KAFKA"}},
}

// protocols: names in any case.
func protocols(values []string) expr {
	var l4, l7 []string
	for _, v := range values {
		for _, p := range protocolColumns[strings.ToLower(v)] {
			if p.col == "protocol" {
				l4 = append(l4, p.name)
			} else {
				l7 = append(l7, p.name)
			}
		}
	}
	return or(in("protocol", l4), in("l7_protocol", l7))
}

// tcpFlags: a TCP flow matches a value if it has every flag of the value.
// The column's bits are those of collector/filters and query/rows.
func tcpFlags(values []*flow.TCPFlags) expr {
	return anyOf(values, func(t *flow.TCPFlags) expr {
		var mask uint8
		for i, set := range [...]bool{t.GetFIN(), t.GetSYN(), t.GetRST(), t.GetPSH(), t.GetACK(), t.GetURG(), t.GetECE(), t.GetCWR()} {
			if set {
				mask |= 1 << i
			}
		}
		return term("protocol = 'TCP' AND bitAnd(tcp_flags, ?) = ?", mask, mask)
	})
}
