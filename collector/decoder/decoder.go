// Package decoder turns raw ring-buffer records into typed events, in the
// layout of bpf/events.h. It is the collector's hot path: decoding reuses the
// caller's event and never allocates.
package decoder

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
)

// Event types and the layout version, as EVENT_* in bpf/events.h.
const (
	TypeTrace         = 1
	TypeDrop          = 2
	TypePolicyVerdict = 3
	EventVersion      = 2

	// TraceEventSize is sizeof(struct trace_event).
	TraceEventSize = 96
)

// Trace reasons (TRACE_REASON_*) and event flags (EVENT_FLAG_*).
const (
	ReasonNew      = 1
	ReasonTCPFlags = 2
	ReasonReport   = 3
	ReasonPacket   = 4

	FlagReply = 0x1
	FlagNoL4  = 0x2
	// FlagToEndpoint: seen at the hook of what the endpoint receives (to-endpoint,
	// or to-proxy and from-proxy there).
	FlagToEndpoint = 0x4
)

// Decoding errors; records that fail are counted, never fatal.
var (
	ErrShort       = errors.New("record too short")
	ErrUnknownType = errors.New("unknown event type")
	ErrVersion     = errors.New("unsupported event version")
)

// TraceEvent is struct trace_event, decoded.
type TraceEvent struct {
	Type        uint8
	Version     uint8
	ObsPoint    uint8
	Reason      uint8
	Family      uint8
	Proto       uint8
	TCPFlags    uint8
	Flags       uint8
	ICMPType    uint8
	ICMPCode    uint8
	EndpointID  uint16
	SrcPort     uint16
	DstPort     uint16
	Ifindex     uint32
	SrcIdentity uint32
	DstIdentity uint32
	PktLen      uint32
	TimeNs      uint64 // CLOCK_BOOTTIME
	Packets     uint64
	Bytes       uint64
	SrcAddr     [16]byte // IPv4 as IPv4-mapped IPv6
	DstAddr     [16]byte
	RuleID      uint32 // the policy rule that decided, 0 for none
	Verdict     uint8  // as flow.Verdict
	DropReason  uint8  // as flow.DropReason
	MatchType   uint8  // as flow.PolicyMatchType
	PolicyFlags uint8  // the endpoint's POLICY_F_* bits
}

// Decode fills e from one record.
func Decode(b []byte, e *TraceEvent) error {
	if len(b) < 2 {
		return fmt.Errorf("decode event: %w: %d bytes", ErrShort, len(b))
	}
	if b[0] < TypeTrace || b[0] > TypePolicyVerdict {
		return fmt.Errorf("decode event: %w %d", ErrUnknownType, b[0])
	}
	if b[1] != EventVersion {
		return fmt.Errorf("decode event: %w %d", ErrVersion, b[1])
	}
	if len(b) < TraceEventSize {
		return fmt.Errorf("decode trace event: %w: %d of %d bytes", ErrShort, len(b), TraceEventSize)
	}
	le := binary.LittleEndian
	e.Type, e.Version, e.ObsPoint, e.Reason = b[0], b[1], b[2], b[3]
	e.Family, e.Proto, e.TCPFlags, e.Flags = b[4], b[5], b[6], b[7]
	e.ICMPType, e.ICMPCode = b[8], b[9]
	e.EndpointID = le.Uint16(b[10:])
	e.SrcPort = le.Uint16(b[12:])
	e.DstPort = le.Uint16(b[14:])
	e.Ifindex = le.Uint32(b[16:])
	e.SrcIdentity = le.Uint32(b[20:])
	e.DstIdentity = le.Uint32(b[24:])
	e.PktLen = le.Uint32(b[28:])
	e.TimeNs = le.Uint64(b[32:])
	e.Packets = le.Uint64(b[40:])
	e.Bytes = le.Uint64(b[48:])
	copy(e.SrcAddr[:], b[56:72])
	copy(e.DstAddr[:], b[72:88])
	e.RuleID = le.Uint32(b[88:])
	e.Verdict, e.DropReason, e.MatchType, e.PolicyFlags = b[92], b[93], b[94], b[95]
	return nil
}

// Src returns the source address, IPv4 unmapped.
func (e *TraceEvent) Src() netip.Addr { return netip.AddrFrom16(e.SrcAddr).Unmap() }

// Dst returns the destination address, IPv4 unmapped.
func (e *TraceEvent) Dst() netip.Addr { return netip.AddrFrom16(e.DstAddr).Unmap() }
