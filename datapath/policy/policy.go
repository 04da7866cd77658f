package policy

import (
	"net/netip"
	"strconv"

	"github.com/loupe-dev/loupe/api/labels"
)

// Kind is the format a policy was written in. The semantics of the two differ
// in one place users trip over: an empty rule allows nothing in the native
// kind (Cilium's "ingress: [{}]" is deny-all) and everything in Kubernetes.
type Kind uint8

const (
	KindLoupe Kind = iota
	KindKubernetes
)

func (k Kind) String() string {
	if k == KindKubernetes {
		return "NetworkPolicy"
	}
	return "LoupeNetworkPolicy"
}

// Policy is one validated policy document in a form both kinds share.
type Policy struct {
	Name string
	// Namespace scopes the policy: it selects endpoints of that namespace
	// only. "" (native kind only) makes it cluster-wide.
	Namespace   string
	Kind        Kind
	File        string // where it was written, for messages
	Line        int
	Description string
	// Audit policies report what they would drop instead of dropping it.
	Audit bool
	// Subject selects the local endpoints the policy applies to.
	Subject Selector
	// Ingress and Egress allow; IngressDeny and EgressDeny deny, and deny
	// wins over allow.
	Ingress, IngressDeny, Egress, EgressDeny []Rule
	// DefaultDeny tells, per Direction, whether the policy puts the
	// endpoints it selects into default deny in that direction.
	DefaultDeny [2]bool
}

// Key is "namespace/name", or the name of a cluster-wide policy.
func (p *Policy) Key() string {
	if p.Namespace == "" {
		return p.Name
	}
	return p.Namespace + "/" + p.Name
}

// Rules returns the allow (deny false) or deny rules of one direction.
func (p *Policy) Rules(dir Direction, deny bool) []Rule {
	switch {
	case dir == Ingress && !deny:
		return p.Ingress
	case dir == Ingress:
		return p.IngressDeny
	case !deny:
		return p.Egress
	default:
		return p.EgressDeny
	}
}

// Rule is one ingress or egress rule: it matches when the remote side is one
// of its peers and the connection one of its L4 matches.
type Rule struct {
	Line int
	// AnyPeer makes the rule match every remote side (an L4-only rule, or
	// a Kubernetes rule without from/to).
	AnyPeer   bool
	Endpoints []Selector
	CIDRs     []CIDRSet
	Entities  []Entity
	// FQDNs select the addresses DNS answered for names (egress only);
	// Resolve turns them into host prefixes through WithFQDNs.
	FQDNs []FQDNSelector
	// AnyL4 makes the rule match every protocol and port (an L3-only rule).
	AnyL4 bool
	L4    []L4
}

// CIDRSet is a prefix minus the sub-prefixes in Except.
type CIDRSet struct {
	Prefix netip.Prefix
	Except []netip.Prefix
}

// Entity names a class of peers as Cilium does.
type Entity string

const (
	// EntityWorld is everything outside the cluster: the world identity and
	// every CIDR identity.
	EntityWorld Entity = "world"
	// EntityHost is the node itself.
	EntityHost Entity = "host"
	// EntityCluster is every workload and the host.
	EntityCluster Entity = "cluster"
	// EntityAll is any peer at all.
	EntityAll Entity = "all"
)

// Protocol numbers as the datapath sees them.
const (
	ProtoAny    uint8 = 0
	ProtoICMP   uint8 = 1
	ProtoTCP    uint8 = 6
	ProtoUDP    uint8 = 17
	ProtoICMPv6 uint8 = 58
	ProtoSCTP   uint8 = 132
)

// ProtoName names a protocol number for messages.
func ProtoName(p uint8) string {
	switch p {
	case ProtoAny:
		return "ANY"
	case ProtoICMP:
		return "ICMP"
	case ProtoTCP:
		return "TCP"
	case ProtoUDP:
		return "UDP"
	case ProtoICMPv6:
		return "ICMPv6"
	case ProtoSCTP:
		return "SCTP"
	}
	return "proto-" + strconv.Itoa(int(p))
}

// L4 is one protocol with a port range; Lo == Hi == 0 means every port. For
// ICMP and ICMPv6 the "port" is the ICMP type, Lo == Hi.
type L4 struct {
	Proto  uint8
	Lo, Hi uint16
	// L7 restricts what the port may carry; nil for none. Connections it
	// covers go through the node's proxy.
	L7 *L7Rules
}

// Selector selects workloads by the labels of their identity.
type Selector struct {
	Labels labels.Selector
	// Namespace, when set, restricts the selector to that namespace.
	Namespace string
	// Namespaces, when set, restricts the selector to namespaces whose
	// labels it matches (Kubernetes namespaceSelector).
	Namespaces *labels.Selector
}
