package policy

import (
	"cmp"
	"fmt"
	"net/netip"
	"slices"

	"github.com/loupe-dev/loupe/api/labels"
)

// CIDRIdentity is an identity the agent puts into the ipcache for a prefix.
type CIDRIdentity struct {
	Prefix   netip.Prefix
	Identity uint32
}

// CIDRLabel is the identity label of a prefix.
func CIDRLabel(p netip.Prefix) string { return "cidr:" + p.String() }

func comparePrefix(a, b netip.Prefix) int {
	return cmp.Or(a.Addr().Compare(b.Addr()), cmp.Compare(a.Bits(), b.Bits()))
}

// allocateCIDRs gives every prefix the policies name, excepts included, an
// identity. An except gets one too: the ipcache resolves an address to its
// most specific prefix, so an excepted range needs its own identity for the
// rule around it not to cover it.
func allocateCIDRs(policies []*Policy, alloc IdentityAllocator) ([]CIDRIdentity, error) {
	seen := map[netip.Prefix]bool{}
	var prefixes []netip.Prefix
	add := func(p netip.Prefix) {
		if !seen[p] {
			seen[p] = true
			prefixes = append(prefixes, p)
		}
	}
	for _, p := range policies {
		for _, rules := range [][]Rule{p.Ingress, p.IngressDeny, p.Egress, p.EgressDeny} {
			for _, r := range rules {
				for _, c := range r.CIDRs {
					add(c.Prefix)
					for _, e := range c.Except {
						add(e)
					}
				}
			}
		}
	}
	if len(prefixes) > 0 && alloc == nil {
		return nil, fmt.Errorf("allocate cidr identities: no allocator")
	}
	// Sorted so that allocation, and so numbering, is deterministic.
	slices.SortFunc(prefixes, comparePrefix)
	out := make([]CIDRIdentity, len(prefixes))
	for i, p := range prefixes {
		id, err := alloc.Acquire(labels.Set{CIDRLabel(p)})
		if err != nil {
			return nil, fmt.Errorf("allocate identity for %s: %w", p, err)
		}
		out[i] = CIDRIdentity{Prefix: p, Identity: id}
	}
	return out, nil
}

// covered returns the identities of the allocated prefixes inside set.Prefix
// and outside its excepts: the identities that addresses of the set resolve
// to. cidrs is sorted by address, so those inside the prefix are one run.
func covered(cidrs []CIDRIdentity, set CIDRSet) []uint32 {
	p := set.Prefix
	i, _ := slices.BinarySearchFunc(cidrs, p, func(c CIDRIdentity, t netip.Prefix) int {
		return c.Prefix.Addr().Compare(t.Addr())
	})
	var ids []uint32
	for ; i < len(cidrs) && p.Contains(cidrs[i].Prefix.Addr()); i++ {
		q := cidrs[i].Prefix
		if q.Bits() < p.Bits() || excepted(q, set.Except) {
			continue
		}
		ids = append(ids, cidrs[i].Identity)
	}
	return ids
}

func excepted(q netip.Prefix, except []netip.Prefix) bool {
	for _, e := range except {
		if q.Bits() >= e.Bits() && e.Contains(q.Addr()) {
			return true
		}
	}
	return false
}

// IdentityOf resolves an address outside the cluster as the datapath's
// ipcache does: the identity of the most specific CIDR prefix holding it, or
// World. Endpoint addresses, which the agent also puts in the ipcache, are
// not known here.
func (r *Result) IdentityOf(a netip.Addr) uint32 {
	a = a.Unmap()
	best, id := -1, World
	for _, c := range r.CIDRs {
		if c.Prefix.Contains(a) && c.Prefix.Bits() > best {
			best, id = c.Prefix.Bits(), c.Identity
		}
	}
	return id
}
