package policy

import (
	"fmt"
	"net/netip"
	"slices"

	"github.com/loupe-dev/loupe/api/labels"
	"github.com/loupe-dev/loupe/datapath/identity"
)

// The reserved identities rules name through entities.
const (
	Host  = identity.Host
	World = identity.World
)

// Endpoint is a local endpoint that policies may select.
type Endpoint struct {
	ID        uint16
	Identity  uint32
	Namespace string
	// Labels are the identity labels, loupe.namespace included.
	Labels labels.Set
}

// Identity is a known identity (local, remote or reserved) that rules may
// select as a peer.
type Identity struct {
	ID     uint32
	Labels labels.Set
}

// IdentityAllocator gives CIDR prefixes their identities.
type IdentityAllocator interface {
	Acquire(labels.Set) (uint32, error)
}

// EndpointPolicy is what the datapath enforces for one endpoint.
type EndpointPolicy struct {
	// IngressEnforced and EgressEnforced: some policy selects the endpoint
	// in that direction, so what no entry allows is denied there.
	IngressEnforced, EgressEnforced bool
	// IngressAudit and EgressAudit: every policy enforcing the direction is
	// an audit policy, so its default deny is reported, not enforced.
	IngressAudit, EgressAudit bool
	// Entries are sorted (see Decide) with one entry per datapath key.
	// Endpoints selected by the same policies share one slice: read-only.
	Entries []Entry
	// IngressPolicies and EgressPolicies are the keys of the policies that
	// enforce the direction, sorted, for explain and flow enrichment.
	IngressPolicies, EgressPolicies []string
}

// Enforced reports whether dir is in default deny (audit or not).
func (ep EndpointPolicy) Enforced(dir Direction) bool {
	if dir == Egress {
		return ep.EgressEnforced
	}
	return ep.IngressEnforced
}

// Audit reports whether dir's default deny is audit only.
func (ep EndpointPolicy) Audit(dir Direction) bool {
	if dir == Egress {
		return ep.EgressAudit
	}
	return ep.IngressAudit
}

// Policies returns the policies enforcing dir.
func (ep EndpointPolicy) Policies(dir Direction) []string {
	if dir == Egress {
		return ep.EgressPolicies
	}
	return ep.IngressPolicies
}

// Result is the policy set resolved for the node's endpoints.
type Result struct {
	// Endpoints has an entry for every endpoint given to Resolve, enforced
	// or not.
	Endpoints map[uint16]EndpointPolicy
	// CIDRs are the prefix identities the ipcache must hold for the entries
	// to mean what the policies say, sorted by prefix.
	CIDRs []CIDRIdentity
}

// Option tunes Resolve.
type Option func(*resolver)

// WithNamespaceLabels gives namespaces labels for Kubernetes
// namespaceSelectors. Every namespace also keeps kubernetes.io/metadata.name,
// which Kubernetes sets and the lab mirrors; a namespace not in m has only
// that label.
func WithNamespaceLabels(m map[string]labels.Set) Option {
	return func(r *resolver) {
		for ns, l := range m {
			set := slices.Clone(l)
			if !slices.Contains(set, NamespaceNameLabel+"="+ns) {
				set = append(set, NamespaceNameLabel+"="+ns)
				slices.Sort(set)
			}
			r.nsLabels[ns] = set
		}
	}
}

// WithFQDNs resolves toFQDNs selectors to the host prefixes of the
// addresses DNS answered for the names they select (the name cache's
// Prefixes). Without it, toFQDNs rules select nothing.
func WithFQDNs(lookup func(*FQDNSelector) []netip.Prefix) Option {
	return func(r *resolver) { r.fqdns = lookup }
}

type resolver struct {
	fqdns     func(*FQDNSelector) []netip.Prefix
	nsLabels  map[string]labels.Set
	workloads []Identity // identities with a namespace: what selectors select
	cidrs     []CIDRIdentity
}

func (r *resolver) namespaceLabels(ns string) labels.Set {
	if l, ok := r.nsLabels[ns]; ok {
		return l
	}
	return defaultNamespaceLabels(ns)
}

// Resolve turns policies into the entries of each endpoint in eps. Peers
// selected by label are looked up among ids (and eps); CIDR peers get
// identities from alloc, returned in Result.CIDRs. The semantics are those
// of the package documentation; Decide is the reference for how the
// datapath reads the result.
func Resolve(policies []*Policy, eps []Endpoint, ids []Identity, alloc IdentityAllocator, opts ...Option) (*Result, error) {
	r := &resolver{nsLabels: map[string]labels.Set{}}
	for _, o := range opts {
		o(r)
	}
	r.workloads = workloadIdentities(eps, ids)
	policies = r.expandFQDNs(policies)
	cidrs, err := allocateCIDRs(policies, alloc)
	if err != nil {
		return nil, fmt.Errorf("resolve policies: %w", err)
	}
	r.cidrs = cidrs

	// Each policy's entries are computed once, whatever the number of
	// endpoints it selects.
	perPolicy := make([][]Entry, len(policies))
	for i, p := range policies {
		perPolicy[i] = r.policyEntries(p)
	}
	res := &Result{Endpoints: make(map[uint16]EndpointPolicy, len(eps)), CIDRs: cidrs}
	// Endpoints selected by the same policies (replicas, mostly) share one
	// EndpointPolicy: merging and sorting entries is most of the work.
	byPolicies := map[string]EndpointPolicy{}
	for _, ep := range eps {
		selected := r.selecting(ep, policies)
		key := fmt.Sprint(selected)
		epp, ok := byPolicies[key]
		if !ok {
			epp = r.endpoint(selected, policies, perPolicy)
			byPolicies[key] = epp
		}
		res.Endpoints[ep.ID] = epp
	}
	return res, nil
}

// selecting returns the indices of the policies that select ep.
func (r *resolver) selecting(ep Endpoint, policies []*Policy) []int {
	l := endpointLabels(ep)
	var out []int
	for i, p := range policies {
		if p.Subject.selects(l, r.namespaceLabels) {
			out = append(out, i)
		}
	}
	return out
}

// workloadIdentities are the identities label selectors can select: those
// of workloads, which carry their namespace. Local endpoints are included
// even when the caller's identity list lags behind.
func workloadIdentities(eps []Endpoint, ids []Identity) []Identity {
	seen := map[uint32]bool{}
	var out []Identity
	add := func(id Identity) {
		if _, ok := namespaceOf(id.Labels); ok && !seen[id.ID] && id.ID != 0 {
			seen[id.ID] = true
			out = append(out, id)
		}
	}
	for _, id := range ids {
		add(id)
	}
	for _, ep := range eps {
		add(Identity{ID: ep.Identity, Labels: ep.Labels})
	}
	slices.SortFunc(out, func(a, b Identity) int { return int(a.ID) - int(b.ID) })
	return out
}

// endpoint merges the entries of the selected policies.
func (r *resolver) endpoint(selected []int, policies []*Policy, perPolicy [][]Entry) EndpointPolicy {
	var out EndpointPolicy
	allAudit := [2]bool{true, true}
	var enforcers [2][]string
	n := 0
	for _, i := range selected {
		n += len(perPolicy[i])
	}
	out.Entries = make([]Entry, 0, n)
	for _, i := range selected {
		p := policies[i]
		out.Entries = append(out.Entries, perPolicy[i]...)
		for _, dir := range []Direction{Ingress, Egress} {
			if p.DefaultDeny[dir] {
				enforcers[dir] = append(enforcers[dir], p.Key())
				allAudit[dir] = allAudit[dir] && p.Audit
			}
		}
	}
	out.Entries = normalize(out.Entries)
	for dir := range enforcers {
		slices.Sort(enforcers[dir])
		enforcers[dir] = slices.Compact(enforcers[dir])
	}
	out.IngressPolicies, out.EgressPolicies = enforcers[Ingress], enforcers[Egress]
	out.IngressEnforced, out.EgressEnforced = len(enforcers[Ingress]) > 0, len(enforcers[Egress]) > 0
	out.IngressAudit = out.IngressEnforced && allAudit[Ingress]
	out.EgressAudit = out.EgressEnforced && allAudit[Egress]
	return out
}

// endpointLabels makes sure the namespace is among the labels selectors see.
func endpointLabels(ep Endpoint) labels.Set {
	if _, ok := namespaceOf(ep.Labels); ok || ep.Namespace == "" {
		return ep.Labels
	}
	l := append(slices.Clone(ep.Labels), labels.NamespaceKey+"="+ep.Namespace)
	slices.Sort(l)
	return l
}

func (r *resolver) policyEntries(p *Policy) []Entry {
	var out []Entry
	for _, dir := range []Direction{Ingress, Egress} {
		for _, deny := range []bool{false, true} {
			for i, rule := range p.Rules(dir, deny) {
				tmpl := Entry{Direction: dir, Deny: deny, Audit: p.Audit, Policy: p.Key(), Rule: i}
				out = r.ruleEntries(out, tmpl, rule)
			}
		}
	}
	return out
}

// ruleEntries appends one entry per (peer identity, L4 match) of the rule.
func (r *resolver) ruleEntries(out []Entry, tmpl Entry, rule Rule) []Entry {
	peers := r.peers(rule)
	l4 := rule.L4
	if rule.AnyL4 {
		l4 = []L4{{}}
	}
	out = slices.Grow(out, len(peers)*len(l4))
	l7 := make([]*L7Set, len(l4))
	for i, m := range l4 {
		if m.L7 != nil && !tmpl.Deny {
			l7[i] = &L7Set{Grants: []L7Grant{{Policy: tmpl.Policy, Rule: tmpl.RuleName(), Rules: m.L7}}}
		}
	}
	for _, id := range peers {
		for i, m := range l4 {
			e := tmpl
			e.RemoteIdentity, e.Proto, e.PortLo, e.PortHi, e.L7 = id, m.Proto, m.Lo, m.Hi, l7[i]
			out = append(out, e)
		}
	}
	return out
}

// peers returns the identities a rule's peers stand for; 0 is any.
func (r *resolver) peers(rule Rule) []uint32 {
	if rule.AnyPeer {
		return []uint32{0}
	}
	var ids []uint32
	for _, ent := range rule.Entities {
		switch ent {
		case EntityAll:
			return []uint32{0}
		case EntityHost:
			ids = append(ids, Host)
		case EntityWorld:
			// World is everything outside the cluster: addresses no
			// prefix covers, and every prefix some rule names.
			ids = append(ids, World)
			for _, c := range r.cidrs {
				ids = append(ids, c.Identity)
			}
		case EntityCluster:
			ids = append(ids, Host)
			for _, w := range r.workloads {
				ids = append(ids, w.ID)
			}
		}
	}
	for _, sel := range rule.Endpoints {
		for _, w := range r.workloads {
			if sel.selects(w.Labels, r.namespaceLabels) {
				ids = append(ids, w.ID)
			}
		}
	}
	for _, set := range rule.CIDRs {
		ids = append(ids, covered(r.cidrs, set)...)
	}
	slices.Sort(ids)
	return slices.Compact(ids)
}

// expandFQDNs returns the policies with every toFQDNs selector turned into
// the host prefixes it stands for now; policies without toFQDNs are
// returned as they are, the others copied (policies are shared).
func (r *resolver) expandFQDNs(policies []*Policy) []*Policy {
	var out []*Policy
	for i, p := range policies {
		if !hasFQDNs(p.Egress) {
			if out != nil {
				out = append(out, p)
			}
			continue
		}
		if out == nil {
			out = append(make([]*Policy, 0, len(policies)), policies[:i]...)
		}
		cp := *p
		cp.Egress = slices.Clone(p.Egress)
		for j := range cp.Egress {
			rule := &cp.Egress[j]
			if len(rule.FQDNs) == 0 || r.fqdns == nil {
				continue
			}
			rule.CIDRs = slices.Clone(rule.CIDRs)
			for k := range rule.FQDNs {
				for _, pfx := range r.fqdns(&rule.FQDNs[k]) {
					rule.CIDRs = append(rule.CIDRs, CIDRSet{Prefix: pfx})
				}
			}
		}
		out = append(out, &cp)
	}
	if out == nil {
		return policies
	}
	return out
}

func hasFQDNs(rules []Rule) bool {
	for _, r := range rules {
		if len(r.FQDNs) > 0 {
			return true
		}
	}
	return false
}

// FQDNSelectors lists the toFQDNs selectors of the policies, for the name
// cache: answers for the names they select must update the policy.
func FQDNSelectors(policies []*Policy) []*FQDNSelector {
	var out []*FQDNSelector
	for _, p := range policies {
		for i := range p.Egress {
			for j := range p.Egress[i].FQDNs {
				out = append(out, &p.Egress[i].FQDNs[j])
			}
		}
	}
	return out
}
