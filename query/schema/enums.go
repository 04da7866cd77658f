package schema

import (
	"fmt"
	"strings"

	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/loupe-dev/loupe/api/flow"
)

// enumType renders a ClickHouse Enum8 or Enum16 from a protobuf enum, so
// the stored names are the API's names and a new value needs only a
// migration, not a second list.
func enumType(d protoreflect.EnumDescriptor) string {
	values := d.Values()
	wide := false
	parts := make([]string, 0, values.Len())
	for i := 0; i < values.Len(); i++ {
		v := values.Get(i)
		if v.Number() > 127 || v.Number() < -128 {
			wide = true
		}
		parts = append(parts, fmt.Sprintf("'%s' = %d", v.Name(), v.Number()))
	}
	kind := "Enum8"
	if wide {
		kind = "Enum16"
	}
	return kind + "(" + strings.Join(parts, ", ") + ")"
}

// L4 protocols as stored in the protocol column.
const (
	ProtoNone   = 0
	ProtoTCP    = 6
	ProtoUDP    = 17
	ProtoICMPv4 = 1
	ProtoICMPv6 = 58
	ProtoSCTP   = 132
)

// protocolEnum names the L4 protocols as the filter language does.
const protocolEnum = "Enum16('NONE' = 0, 'ICMPv4' = 1, 'TCP' = 6, 'UDP' = 17, 'ICMPv6' = 58, 'SCTP' = 132)"

// L7 protocols as stored in the l7_protocol column.
const (
	L7None  = 0
	L7HTTP  = 1
	L7DNS   = 2
	L7Kafka = 3
)

const l7ProtocolEnum = "Enum8('NONE' = 0, 'HTTP' = 1, 'DNS' = 2, 'KAFKA' = 3)"

var (
	verdictEnum          = enumType(flow.Verdict(0).Descriptor())
	dropReasonEnum       = enumType(flow.DropReason(0).Descriptor())
	eventTypeEnum        = enumType(flow.EventType(0).Descriptor())
	observationPointEnum = enumType(flow.ObservationPoint(0).Descriptor())
	traceReasonEnum      = enumType(flow.TraceReason(0).Descriptor())
	directionEnum        = enumType(flow.TrafficDirection(0).Descriptor())
	matchTypeEnum        = enumType(flow.PolicyMatchType(0).Descriptor())
	ipVersionEnum        = enumType(flow.IPVersion(0).Descriptor())
	l7TypeEnum           = enumType(flow.L7FlowType(0).Descriptor())
)
