package policy

import (
	"errors"
	"fmt"
	"net/netip"
	"strings"

	"github.com/loupe-dev/loupe/api/labels"
	"github.com/loupe-dev/loupe/datapath/identity"
)

// Party is one side of a what-if question asked without an agent: a
// workload by its labels, a reserved entity, or an address outside the
// cluster. Exactly one of the fields is set.
type Party struct {
	// Labels are a workload's identity labels, loupe.namespace included.
	Labels labels.Set
	// Entity is EntityHost or EntityWorld.
	Entity Entity
	// Addr is an address outside the cluster; it has the identity of the
	// most specific prefix the policies name that holds it, or World.
	Addr netip.Addr
}

// Name describes the party: "shop/{app=db}", "host", "203.0.113.7".
func (p Party) Name() string {
	switch {
	case p.Addr.IsValid():
		return p.Addr.String()
	case p.Entity != "":
		return string(p.Entity)
	}
	ns, _ := namespaceOf(p.Labels)
	var rest []string
	for _, l := range p.Labels {
		if !strings.HasPrefix(l, labels.NamespaceKey+"=") {
			rest = append(rest, l)
		}
	}
	return ns + "/{" + strings.Join(rest, ",") + "}"
}

func (p Party) validate() error {
	set := 0
	if len(p.Labels) > 0 {
		set++
		if _, ok := namespaceOf(p.Labels); !ok {
			return fmt.Errorf("workload labels %s: %s is required", p.Labels, labels.NamespaceKey)
		}
	}
	if p.Entity != "" {
		set++
		if p.Entity != EntityHost && p.Entity != EntityWorld {
			return fmt.Errorf("entity %q: want host or world", p.Entity)
		}
	}
	if p.Addr.IsValid() {
		set++
	}
	if set != 1 {
		return errors.New("a party is exactly one of workload labels, an entity or an address")
	}
	return nil
}

// WhatIf explains a connection between two parties under policies alone,
// as if the workloads among them were the node's only endpoints. It resolves
// with the same Resolve and decides with the same Decide as the agent, so
// its answer is the datapath's for these two.
func WhatIf(policies []*Policy, from, to Party, proto uint8, port uint16, opts ...Option) (Verdict, *Result, error) {
	if err := from.validate(); err != nil {
		return Verdict{}, nil, fmt.Errorf("from: %w", err)
	}
	if err := to.validate(); err != nil {
		return Verdict{}, nil, fmt.Errorf("to: %w", err)
	}
	alloc := &memAllocator{next: identity.MinLocal, ids: map[string]uint32{}}
	var eps []Endpoint
	peers := [2]Peer{}
	for i, party := range []Party{from, to} {
		peers[i].Name = party.Name()
		if len(party.Labels) == 0 {
			continue
		}
		id, _ := alloc.Acquire(party.Labels)
		ns, _ := namespaceOf(party.Labels)
		ep := Endpoint{ID: uint16(i + 1), Identity: id, Namespace: ns, Labels: party.Labels}
		eps = append(eps, ep)
		peers[i].Local, peers[i].Endpoint, peers[i].Identity = true, ep.ID, id
	}
	res, err := Resolve(policies, eps, nil, alloc, opts...)
	if err != nil {
		return Verdict{}, nil, err
	}
	for i, party := range []Party{from, to} {
		switch {
		case party.Entity == EntityHost:
			peers[i].Identity = Host
		case party.Entity == EntityWorld:
			peers[i].Identity = World
		case party.Addr.IsValid():
			peers[i].Identity = res.IdentityOf(party.Addr)
		}
	}
	return Explain(res, peers[0], peers[1], proto, port), res, nil
}

// memAllocator numbers label sets in memory, for questions asked offline.
type memAllocator struct {
	next uint32
	ids  map[string]uint32
}

func (a *memAllocator) Acquire(s labels.Set) (uint32, error) {
	if id, ok := a.ids[s.String()]; ok {
		return id, nil
	}
	id := a.next
	a.next++
	a.ids[s.String()] = id
	return id, nil
}
