package policy

import (
	"cmp"
	"fmt"
	"slices"
)

// Direction is the side of an endpoint a rule applies to.
type Direction uint8

const (
	// Ingress is what an endpoint receives.
	Ingress Direction = 0
	// Egress is what an endpoint sends.
	Egress Direction = 1
)

func (d Direction) String() string {
	if d == Egress {
		return "egress"
	}
	return "ingress"
}

// Entry is one datapath policy entry of an endpoint: traffic in Direction
// with the remote identity, protocol and port it names is allowed (or denied).
type Entry struct {
	Direction Direction
	// RemoteIdentity is the peer's identity; 0 matches any.
	RemoteIdentity uint32
	// Proto is the IP protocol; 0 matches any (an L3-only entry).
	Proto uint8
	// PortLo and PortHi bound the destination port. For TCP, UDP and SCTP,
	// 0,0 matches every port. For ICMP and ICMPv6 they bound the ICMP type
	// and are never a wildcard: 0,0 is type 0 (echo reply).
	PortLo, PortHi uint16
	// Deny entries drop what they match, whatever allows it.
	Deny bool
	// Audit entries come from audit policies: they are reported, never
	// enforced. See Decide.
	Audit bool
	// Policy is the Key of the policy the entry comes from; Rule the index
	// of its rule in the section Direction and Deny name (ingress,
	// ingressDeny, egress, egressDeny).
	Policy string
	Rule   int
}

// Section names the list of the policy the entry's rule is in.
func (e Entry) Section() string {
	s := e.Direction.String()
	if e.Deny {
		s += "Deny"
	}
	return s
}

// RuleName is "namespace/name ingress[0]", for messages.
func (e Entry) RuleName() string {
	return fmt.Sprintf("%s %s[%d]", e.Policy, e.Section(), e.Rule)
}

// Matches reports whether the entry covers traffic with the remote identity,
// protocol and port (the ICMP type for ICMP); direction is not compared.
func (e Entry) Matches(remote uint32, proto uint8, port uint16) bool {
	if e.RemoteIdentity != 0 && e.RemoteIdentity != remote {
		return false
	}
	if e.Proto == ProtoAny {
		return true
	}
	if e.Proto != proto {
		return false
	}
	if !isICMP(e.Proto) && e.PortLo == 0 && e.PortHi == 0 {
		return true
	}
	return e.PortLo <= port && port <= e.PortHi
}

func isICMP(p uint8) bool { return p == ProtoICMP || p == ProtoICMPv6 }

// compareEntries orders an endpoint's entries: by direction, deny before
// allow, then by what they match, enforced before audit, then by origin.
// Decide takes the first match as the deciding one, so the order is part of
// what explain reports and must be deterministic.
func compareEntries(a, b Entry) int {
	return cmp.Or(
		compareKey(a, b),
		cmpBool(a.Audit, b.Audit),
		cmp.Compare(a.Policy, b.Policy),
		cmp.Compare(a.Rule, b.Rule),
	)
}

// compareKey compares what the datapath keys an entry by.
func compareKey(a, b Entry) int {
	return cmp.Or(
		cmp.Compare(a.Direction, b.Direction),
		cmpBool(b.Deny, a.Deny),
		cmp.Compare(a.RemoteIdentity, b.RemoteIdentity),
		cmp.Compare(a.Proto, b.Proto),
		cmp.Compare(a.PortLo, b.PortLo),
		cmp.Compare(a.PortHi, b.PortHi),
	)
}

func cmpBool(a, b bool) int {
	switch {
	case a == b:
		return 0
	case a:
		return 1
	default:
		return -1
	}
}

// normalize sorts entries and keeps one per datapath key. An enforced entry
// sorts before an audit one with the same key and makes it redundant: it
// already decides both what is enforced and what audit would report.
func normalize(es []Entry) []Entry {
	slices.SortFunc(es, compareEntries)
	return slices.CompactFunc(es, func(a, b Entry) bool { return compareKey(a, b) == 0 })
}
