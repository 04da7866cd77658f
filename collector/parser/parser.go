// Package parser turns decoded datapath events into flow records, enriched
// with the endpoints and identities the agent knows.
package parser

import (
	"crypto/rand"
	"encoding/binary"
	"net/netip"
	"time"

	"golang.org/x/sys/unix"

	"github.com/loupe-dev/loupe/api/flow"
	"github.com/loupe-dev/loupe/api/labels"
	"github.com/loupe-dev/loupe/collector/decoder"
)

// Endpoints is a consistent view of the local endpoints; the agent's
// *endpoint.Snapshot is one. Values it returns are shared and read-only.
type Endpoints interface {
	ByID(id uint16) (*flow.Endpoint, bool)
	ByIP(a netip.Addr) (*flow.Endpoint, bool)
	IPText(a netip.Addr) string
	InterfaceName(ifindex uint32) string
}

// IdentityGetter resolves identity numbers to labels.
type IdentityGetter interface {
	Labels(id uint32) (labels.Set, bool)
}

// PolicyGetter names the policy behind a datapath rule id. The slice it
// returns is shared by every flow of that rule and must not be modified.
type PolicyGetter interface {
	PolicyNames(ruleID uint32) []string
}

// Parser is not safe for concurrent use: the collector's reader owns it.
type Parser struct {
	node       string
	endpoints  func() Endpoints
	identities IdentityGetter
	policies   PolicyGetter
	bootOffset int64 // wall clock minus CLOCK_BOOTTIME, in ns
	idPrefix   uint64
	seq        uint64

	// byIdentity caches endpoints known only by identity (remote, world,
	// host); it is dropped whenever the endpoint view changes.
	view       Endpoints
	byIdentity map[uint32]*flow.Endpoint

	// names, when set, gives the DNS names an address was answered for.
	names func(netip.Addr) []string
}

// WithNames makes the parser fill source and destination names from the
// node's DNS name cache. Call before use.
func (p *Parser) WithNames(names func(netip.Addr) []string) *Parser {
	p.names = names
	return p
}

// Fork returns a parser for another goroutine (the L7 flows of the proxy):
// same enrichment, its own flow id space and caches.
func (p *Parser) Fork() *Parser {
	f := New(p.node, p.endpoints, p.identities, p.policies)
	f.names = p.names
	return f
}

// Complete fills in what an L7 flow from the proxy lacks: id, node and the
// endpoints' details, from the addresses and identities it carries.
func (p *Parser) Complete(f *flow.Flow) {
	view := p.currentView()
	f.Id = p.idPrefix | (p.seq & (1<<40 - 1))
	p.seq++
	f.NodeName = p.node
	src, _ := netip.ParseAddr(f.GetIp().GetSource())
	dst, _ := netip.ParseAddr(f.GetIp().GetDestination())
	f.Source = p.remote(view, src, f.GetSource().GetIdentity())
	f.Destination = p.remote(view, dst, f.GetDestination().GetIdentity())
	p.addNames(f, src, dst)
}

func (p *Parser) addNames(f *flow.Flow, src, dst netip.Addr) {
	if p.names == nil {
		return
	}
	f.SourceNames, f.DestinationNames = p.names(src.Unmap()), p.names(dst.Unmap())
}

// New returns a parser for events of node. policies may be nil.
func New(node string, endpoints func() Endpoints, identities IdentityGetter, policies PolicyGetter) *Parser {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return &Parser{
		node:       node,
		endpoints:  endpoints,
		identities: identities,
		policies:   policies,
		bootOffset: bootOffset(),
		// Flow ids are unique per node across restarts: 24 random bits per
		// agent run, then a 40-bit sequence.
		idPrefix: (binary.LittleEndian.Uint64(b[:]) & 0xffffff) << 40,
	}
}

func bootOffset() int64 {
	var ts unix.Timespec
	_ = unix.ClockGettime(unix.CLOCK_BOOTTIME, &ts)
	return time.Now().UnixNano() - ts.Nano()
}

// WallTime converts a datapath timestamp to Unix nanoseconds.
func (p *Parser) WallTime(bootNs uint64) int64 { return p.bootOffset + int64(bootNs) }

// Flow builds the flow of one event (trace, drop or policy verdict) with a
// single allocation.
func (p *Parser) Flow(e *decoder.TraceEvent) *flow.Flow {
	view := p.currentView()
	src, dst := e.Src(), e.Dst()

	f := p.newFlow(e)
	f.Id = p.idPrefix | (p.seq & (1<<40 - 1))
	p.seq++
	f.NodeName = p.node
	f.Verdict = flow.Verdict(e.Verdict)
	switch e.Type {
	case decoder.TypeTrace:
		f.EventType = flow.EventType_TRACE
		f.TraceReason = flow.TraceReason(e.Reason)
	case decoder.TypeDrop:
		f.EventType = flow.EventType_DROP
		f.DropReason = flow.DropReason(e.DropReason)
	case decoder.TypePolicyVerdict:
		f.EventType = flow.EventType_POLICY_VERDICT
		f.PolicyMatchType = flow.PolicyMatchType(e.MatchType)
		if f.Verdict != flow.Verdict_FORWARDED {
			f.DropReason = flow.DropReason(e.DropReason)
		}
	}
	if e.RuleID != 0 && p.policies != nil {
		f.PolicyNames = p.policies.PolicyNames(e.RuleID)
	}
	f.IsReply = e.Flags&decoder.FlagReply != 0
	f.Packets, f.Bytes = e.Packets, e.Bytes
	f.InterfaceIndex = e.Ifindex
	f.InterfaceName = view.InterfaceName(e.Ifindex)

	f.Ip.Source, f.Ip.Destination = view.IPText(src), view.IPText(dst)
	f.Ip.IpVersion = flow.IPVersion_IPV4
	if e.Family == 6 {
		f.Ip.IpVersion = flow.IPVersion_IPV6
	}

	local, _ := view.ByID(e.EndpointID)
	f.ObservationPoint = flow.ObservationPoint(e.ObsPoint)
	// The hook tells which side is the local workload: to-proxy and
	// from-proxy are seen at either.
	if e.ObsPoint == 2 || e.Flags&decoder.FlagToEndpoint != 0 { // the local workload receives
		f.TrafficDirection = flow.TrafficDirection_INGRESS
		f.Source, f.Destination = p.remote(view, src, e.SrcIdentity), local
	} else { // the local workload sends
		f.TrafficDirection = flow.TrafficDirection_EGRESS
		f.Source, f.Destination = local, p.remote(view, dst, e.DstIdentity)
	}
	p.addNames(f, src, dst)
	// A reply belongs to the connection, whose direction is the opposite
	// of the reply packets', as in Hubble.
	if f.IsReply {
		if f.TrafficDirection == flow.TrafficDirection_EGRESS {
			f.TrafficDirection = flow.TrafficDirection_INGRESS
		} else {
			f.TrafficDirection = flow.TrafficDirection_EGRESS
		}
	}
	return f
}

// currentView returns the endpoint view, dropping the identity cache when
// the view changed.
func (p *Parser) currentView() Endpoints {
	if view := p.endpoints(); view != p.view {
		p.view, p.byIdentity = view, make(map[uint32]*flow.Endpoint)
	}
	return p.view
}

// remote resolves the other side of a packet: a local endpoint by address, or
// an endpoint known only by its identity.
func (p *Parser) remote(view Endpoints, a netip.Addr, identity uint32) *flow.Endpoint {
	if ep, ok := view.ByIP(a); ok {
		return ep
	}
	if ep, ok := p.byIdentity[identity]; ok {
		return ep
	}
	ep := &flow.Endpoint{Identity: identity}
	if p.identities != nil {
		ls, _ := p.identities.Labels(identity)
		ep.Labels = ls
	}
	p.byIdentity[identity] = ep
	return ep
}
