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
	// L7 is set on allow entries whose port has L7 rules: connections the
	// entry allows go through the node's proxy, which enforces it. Shared
	// between entries; read-only.
	L7 *L7Set
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
	if c := compareKey(a, b); c != 0 {
		return c
	}
	if c := cmpBool(a.Audit, b.Audit); c != 0 {
		return c
	}
	if c := cmp.Compare(a.Policy, b.Policy); c != 0 {
		return c
	}
	return cmp.Compare(a.Rule, b.Rule)
}

// compareKey compares what the datapath keys an entry by. It returns early
// rather than using cmp.Or, which would evaluate every comparison: sorting
// is most of Resolve's time.
func compareKey(a, b Entry) int {
	switch {
	case a.Direction != b.Direction:
		return cmp.Compare(a.Direction, b.Direction)
	case a.Deny != b.Deny:
		return cmpBool(b.Deny, a.Deny)
	case a.RemoteIdentity != b.RemoteIdentity:
		return cmp.Compare(a.RemoteIdentity, b.RemoteIdentity)
	case a.Proto != b.Proto:
		return cmp.Compare(a.Proto, b.Proto)
	case a.PortLo != b.PortLo:
		return cmp.Compare(a.PortLo, b.PortLo)
	}
	return cmp.Compare(a.PortHi, b.PortHi)
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

// entryKey is what the datapath keys an entry by.
type entryKey struct {
	dir            Direction
	deny           bool
	remote         uint32
	proto          uint8
	portLo, portHi uint16
}

// normalize keeps one entry per datapath key, the first in compareEntries
// order, and sorts them. An enforced entry sorts before an audit one with the
// same key and makes it redundant: it already decides both what is enforced
// and what audit would report. Deduplicating before sorting matters: many
// policies often grant the same thing (every "toEntities: [world]" repeats
// every CIDR identity), and sorting is the expensive part. es is reused.
func normalize(es []Entry) []Entry {
	best := make(map[entryKey]int, len(es)/4)
	out := es[:0]
	for _, e := range es {
		k := entryKey{e.Direction, e.Deny, e.RemoteIdentity, e.Proto, e.PortLo, e.PortHi}
		if j, ok := best[k]; ok {
			l7 := mergeL7(out[j].L7, e.L7)
			if compareEntries(e, out[j]) < 0 {
				out[j] = e
			}
			out[j].L7 = l7
			continue
		}
		best[k] = len(out)
		out = append(out, e)
	}
	slices.SortFunc(out, compareEntries)
	return out
}

// mergeL7 is the L7 policy of two allow entries with the same key: the
// union of their grants; an entry without L7 rules opens the port at L7
// (AllowAll), as in Cilium, and the connection is still proxied so that
// it stays visible.
func mergeL7(a, b *L7Set) *L7Set {
	if a == nil && b == nil {
		return nil
	}
	m := &L7Set{AllowAll: a == nil || b == nil || a.AllowAll || b.AllowAll}
	if a != nil {
		m.Grants = append(m.Grants, a.Grants...)
	}
	if b != nil {
		m.Grants = append(m.Grants, b.Grants...)
	}
	return m
}
