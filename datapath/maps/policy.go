package maps

import (
	"errors"
	"fmt"
	"math/bits"

	"github.com/cilium/ebpf"

	"github.com/loupe-dev/loupe/datapath/loader"
)

// Policy flags of an endpoint, as POLICY_F_* in bpf/maps.h.
const (
	PolicyIngress      = 0x1
	PolicyEgress       = 0x2
	PolicyIngressAudit = 0x4
	PolicyEgressAudit  = 0x8
	// Set by Apply from the rules: some deny rule covers the direction,
	// some allow rule of it redirects to the proxy.
	policyIngressDeny  = 0x10
	policyEgressDeny   = 0x20
	policyIngressProxy = 0x40
	policyEgressProxy  = 0x80
)

// Rule is one resolved policy entry for the datapath.
type Rule struct {
	EndpointID uint16
	Egress     bool
	Identity   uint32 // 0: any
	Proto      uint8  // 0: any (ports must be 0)
	// PortLo..PortHi, both 0 for any port. ICMP rules carry the type.
	PortLo, PortHi uint16
	Deny, Audit    bool
	RuleID         uint32
	// Proxy is the L7 parser (policy.L7Parser) connections the allow
	// covers are redirected to; 0 for none.
	Proxy uint8
}

// PolicyMaps writes policy revisions into the inactive slot and flips to it,
// so the datapath sees either the whole old revision or the whole new one.
type PolicyMaps struct {
	slot, endpoints, rules *ebpf.Map
}

// NewPolicyMaps wraps the loaded policy maps.
func NewPolicyMaps(objs *loader.LoupeObjects) *PolicyMaps {
	return &PolicyMaps{slot: objs.PolicySlot, endpoints: objs.PolicyEndpoints, rules: objs.Policy}
}

// Active returns the live slot and revision.
func (p *PolicyMaps) Active() (slot uint8, revision uint64, err error) {
	var st loader.LoupePolicyState
	if err := p.slot.Lookup(uint32(0), &st); err != nil {
		return 0, 0, fmt.Errorf("read policy slot: %w", err)
	}
	return uint8(st.Slot), st.Revision, nil
}

// EndpointPolicy is what the datapath needs of one endpoint besides rules.
type EndpointPolicy struct {
	Flags uint32 // Policy* bits
	// DefaultRule names, per direction (0 ingress, 1 egress), the rule id
	// reported when the default deny drops a connection.
	DefaultRule [2]uint32
}

// Apply installs a revision: endpoint flags and rules go into the inactive
// slot, the slot is flipped, then the old slot is cleared.
func (p *PolicyMaps) Apply(revision uint64, eps map[uint16]EndpointPolicy, rules []Rule) error {
	cur, _, err := p.Active()
	if err != nil {
		return err
	}
	next := cur ^ 1
	if err := p.clear(next); err != nil {
		return err
	}
	keys, vals, prefixes := expand(next, rules)
	denies := map[uint16]uint32{}
	for _, r := range rules {
		switch {
		case r.Deny && r.Egress:
			denies[r.EndpointID] |= policyEgressDeny
		case r.Deny:
			denies[r.EndpointID] |= policyIngressDeny
		case r.Proxy != 0 && r.Egress:
			denies[r.EndpointID] |= policyEgressProxy
		case r.Proxy != 0:
			denies[r.EndpointID] |= policyIngressProxy
		}
	}
	for i := range keys {
		if err := p.rules.Put(&keys[i], &vals[i]); err != nil {
			return fmt.Errorf("write policy rule: %w", err)
		}
	}
	for ep, e := range eps {
		k := loader.LoupePolicyEndpointKey{EndpointId: ep, Slot: next}
		v := loader.LoupePolicyEndpoint{Flags: e.Flags | denies[ep], PortPrefixes: prefixes[ep], DefaultRule: e.DefaultRule}
		if err := p.endpoints.Put(&k, &v); err != nil {
			return fmt.Errorf("write policy endpoint: %w", err)
		}
	}
	st := loader.LoupePolicyState{Slot: uint32(next), Revision: revision}
	if err := p.slot.Put(uint32(0), &st); err != nil {
		return fmt.Errorf("switch policy slot: %w", err)
	}
	return p.clear(cur)
}

// clear deletes every entry of a slot.
func (p *PolicyMaps) clear(slot uint8) error {
	var rk loader.LoupePolicyKey
	var rv loader.LoupePolicyValue
	var stale []loader.LoupePolicyKey
	it := p.rules.Iterate()
	for it.Next(&rk, &rv) {
		if rk.Slot == slot {
			stale = append(stale, rk)
		}
	}
	if err := it.Err(); err != nil {
		return fmt.Errorf("iterate policy rules: %w", err)
	}
	for i := range stale {
		if err := p.rules.Delete(&stale[i]); err != nil && !errors.Is(err, ebpf.ErrKeyNotExist) {
			return fmt.Errorf("delete policy rule: %w", err)
		}
	}
	var ek loader.LoupePolicyEndpointKey
	var ev loader.LoupePolicyEndpoint
	var staleEPs []loader.LoupePolicyEndpointKey
	eit := p.endpoints.Iterate()
	for eit.Next(&ek, &ev) {
		if ek.Slot == slot {
			staleEPs = append(staleEPs, ek)
		}
	}
	if err := eit.Err(); err != nil {
		return fmt.Errorf("iterate policy endpoints: %w", err)
	}
	for i := range staleEPs {
		if err := p.endpoints.Delete(&staleEPs[i]); err != nil && !errors.Is(err, ebpf.ErrKeyNotExist) {
			return fmt.Errorf("delete policy endpoint: %w", err)
		}
	}
	return nil
}

// Flags of a policy value, as PV_* in bpf/maps.h.
const (
	pvAllow      = 0x1
	pvAuditAllow = 0x2
	pvDeny       = 0x4
	pvAuditDeny  = 0x8
)

// merge adds a rule to the value of its key. A key holds at most one allow
// and one deny; an enforcing rule takes the place of an audit one, and the
// first rule of a kind keeps its id.
func merge(v *loader.LoupePolicyValue, r Rule) {
	switch {
	case r.Deny && !r.Audit && v.Flags&pvDeny == 0:
		v.Flags, v.DenyRule = v.Flags&^pvAuditDeny|pvDeny, r.RuleID
	case r.Deny && r.Audit && v.Flags&(pvDeny|pvAuditDeny) == 0:
		v.Flags, v.DenyRule = v.Flags|pvAuditDeny, r.RuleID
	case !r.Deny && !r.Audit && v.Flags&pvAllow == 0:
		v.Flags, v.AllowRule, v.Proxy = v.Flags&^pvAuditAllow|pvAllow, r.RuleID, r.Proxy
	case !r.Deny && r.Audit && v.Flags&(pvAllow|pvAuditAllow) == 0:
		v.Flags, v.AllowRule, v.Proxy = v.Flags|pvAuditAllow, r.RuleID, r.Proxy
	case !r.Deny && v.Proxy == 0:
		// Any allow of the key with L7 rules makes it proxied: the proxy
		// applies the union (policy.DecideL7).
		v.Proxy = r.Proxy
	}
}

// expand turns rules into map entries: port ranges become aligned
// power-of-two blocks (prefixes of the 16-bit port), rules on the same key
// merge into one value, and each endpoint gets the set of prefix lengths its
// rules use, which bounds the datapath's lookups.
func expand(slot uint8, rules []Rule) ([]loader.LoupePolicyKey, []loader.LoupePolicyValue, map[uint16]uint32) {
	index := map[loader.LoupePolicyKey]int{}
	var keys []loader.LoupePolicyKey
	var vals []loader.LoupePolicyValue
	prefixes := map[uint16]uint32{}
	for _, r := range rules {
		dir := uint8(0)
		if r.Egress {
			dir = 1
		}
		for _, b := range portBlocks(r) {
			k := loader.LoupePolicyKey{
				Identity: r.Identity, EndpointId: r.EndpointID, Port: b.port, Proto: r.Proto,
				Dir: dir, Prefix: b.prefix, Slot: slot,
			}
			if r.Proto != 0 {
				prefixes[r.EndpointID] |= 1 << b.prefix
			}
			i, ok := index[k]
			if !ok {
				i = len(keys)
				index[k] = i
				keys, vals = append(keys, k), append(vals, loader.LoupePolicyValue{})
			}
			merge(&vals[i], r)
		}
	}
	return keys, vals, prefixes
}

type portBlock struct {
	port   uint16
	prefix uint8
}

// portBlocks covers r's port range with the fewest aligned blocks. ICMP
// rules carry literal type ranges, stored as type + 1 so that port 0 keeps
// meaning "any" (ICMP type 0 is echo reply, not a wildcard).
func portBlocks(r Rule) []portBlock {
	icmp := r.Proto == 1 || r.Proto == 58
	if r.Proto == 0 || (!icmp && r.PortLo == 0 && r.PortHi == 0) {
		return []portBlock{{0, 0}}
	}
	lo, hi := uint32(r.PortLo), uint32(max(r.PortHi, r.PortLo))
	if icmp {
		lo, hi = lo+1, hi+1
	}
	var out []portBlock
	for lo <= hi {
		// The largest block aligned at lo that stays within hi.
		size := uint32(1) << min(bits.TrailingZeros32(lo|1<<16), 16)
		for lo+size-1 > hi {
			size >>= 1
		}
		out = append(out, portBlock{port: uint16(lo), prefix: uint8(16 - bits.TrailingZeros32(size))})
		lo += size
	}
	return out
}
