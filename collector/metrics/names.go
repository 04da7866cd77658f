package metrics

import (
	"strconv"
	"strings"

	"github.com/loupe-dev/loupe/api/flow"
)

// Label values of enums, rendered when a series is created.

func eventTypeName(t uint32) string {
	switch flow.EventType(t) {
	case flow.EventType_TRACE:
		return "Trace"
	case flow.EventType_DROP:
		return "Drop"
	case flow.EventType_POLICY_VERDICT:
		return "PolicyVerdict"
	case flow.EventType_L7:
		return "L7"
	}
	return "Unknown"
}

// Subtypes of L7 flows sit above the observation points.
const (
	subtypeHTTP = 100 + iota
	subtypeDNS
	subtypeKafka
)

func subtypeName(n uint32) string {
	switch n {
	case subtypeHTTP:
		return "HTTP"
	case subtypeDNS:
		return "DNS"
	case subtypeKafka:
		return "Kafka"
	case 0:
		return ""
	}
	return kebab(flow.ObservationPoint(n).String())
}

// kebab turns an enum name such as TO_ENDPOINT into to-endpoint.
func kebab(s string) string { return strings.ReplaceAll(strings.ToLower(s), "_", "-") }

func verdictName(n uint32) string { return flow.Verdict(n).String() }

func dropReasonName(n uint32) string { return flow.DropReason(n).String() }

func directionName(n uint32) string { return strings.ToLower(flow.TrafficDirection(n).String()) }

func matchName(n uint32) string {
	return kebab(strings.TrimPrefix(flow.PolicyMatchType(n).String(), "POLICY_MATCH_"))
}

// Protocols of L4, as numbered in key fields.
const (
	protoUnknown = iota
	protoTCP
	protoUDP
	protoICMPv4
	protoICMPv6
	protoSCTP
)

var protoNames = [...]string{"unknown", "TCP", "UDP", "ICMPv4", "ICMPv6", "SCTP"}

func protoName(n uint32) string { return protoNames[n] }

func familyName(n uint32) string {
	if flow.IPVersion(n) == flow.IPVersion_IPV6 {
		return "IPv6"
	}
	return "IPv4"
}

// TCP flag combinations counted, as Hubble names them.
const (
	flagSYN = iota
	flagSYNACK
	flagFIN
	flagRST
)

var flagNames = [...]string{"SYN", "SYN-ACK", "FIN", "RST"}

func flagName(n uint32) string { return flagNames[n] }

var icmp4Names = map[uint32]string{0: "EchoReply", 3: "DestinationUnreachable", 5: "Redirect", 8: "EchoRequest", 11: "TimeExceeded"}
var icmp6Names = map[uint32]string{1: "DestinationUnreachable", 2: "PacketTooBig", 3: "TimeExceeded", 128: "EchoRequest", 129: "EchoReply", 133: "RouterSolicitation", 134: "RouterAdvertisement", 135: "NeighborSolicitation", 136: "NeighborAdvertisement"}

// icmpTypeName names the common types and numbers the rest.
func icmpTypeName(family, typ uint32) string {
	names := icmp4Names
	if flow.IPVersion(family) == flow.IPVersion_IPV6 {
		names = icmp6Names
	}
	if s, ok := names[typ]; ok {
		return s
	}
	return strconv.FormatUint(uint64(typ), 10)
}

// portOther stands for every port that is not tracked.
const portOther = 1 << 16

func portName(n uint32) string {
	if n == portOther {
		return "other"
	}
	return strconv.FormatUint(uint64(n), 10)
}

func number(n uint32) string { return strconv.FormatUint(uint64(n), 10) }

func signed(n uint32) string { return strconv.FormatInt(int64(int32(n)), 10) }
