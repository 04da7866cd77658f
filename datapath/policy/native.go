package policy

import (
	"fmt"

	"github.com/loupe-dev/loupe/internal/yamlpos"
)

// nativeRule is an ingress or egress rule of the native kind with its peers
// named the same in both directions.
type nativeRule struct {
	line      int
	endpoints []yamlpos.Value[selectorSpec]
	cidrs     []yamlpos.Value[string]
	cidrSets  []yamlpos.Value[cidrSetSpec]
	entities  []yamlpos.Value[string]
	fqdns     []yamlpos.Value[fqdnSpec]
	toPorts   []yamlpos.Value[portRuleSpec]
	icmps     []yamlpos.Value[icmpRuleSpec]
	// deny rules take no L7 rules and no toFQDNs, as in Cilium.
	deny bool
	// prefix is "from" or "to", for messages.
	prefix string
}

func (b *builder) native(doc *nativeDoc, line int) *Policy {
	name, ns := b.metadata(doc.Metadata, line, "")
	p := &Policy{Name: name, Namespace: ns, Kind: KindLoupe, Line: line}
	if !doc.Spec.Set() {
		b.addf(line, "spec is required")
		return p
	}
	s := doc.Spec.V
	p.Description = s.Description.V
	p.Audit = s.Audit.V
	if !s.EndpointSelector.Set() {
		b.addf(doc.Spec.Line, "spec.endpointSelector is required; write {} to select every endpoint%s", inNamespace(ns))
	} else {
		sel, _ := b.selector(s.EndpointSelector, "spec.endpointSelector")
		// A namespaced policy never reaches into other namespaces, even if
		// its selector names loupe.namespace, as in Cilium: a policy
		// written in one namespace must not put another one's endpoints
		// into default deny.
		p.Subject = Selector{Labels: sel, Namespace: ns}
	}
	for i, r := range s.Ingress {
		p.Ingress = append(p.Ingress, b.nativeRule(ingressRule(r), ns, fmt.Sprintf("spec.ingress[%d]", i)))
	}
	for i, r := range s.IngressDeny {
		nr := ingressRule(r)
		nr.deny = true
		p.IngressDeny = append(p.IngressDeny, b.nativeRule(nr, ns, fmt.Sprintf("spec.ingressDeny[%d]", i)))
	}
	for i, r := range s.Egress {
		p.Egress = append(p.Egress, b.nativeRule(egressRule(r), ns, fmt.Sprintf("spec.egress[%d]", i)))
	}
	for i, r := range s.EgressDeny {
		nr := egressRule(r)
		nr.deny = true
		p.EgressDeny = append(p.EgressDeny, b.nativeRule(nr, ns, fmt.Sprintf("spec.egressDeny[%d]", i)))
	}
	// Rules in a direction put the selected endpoints into default deny
	// there, unless enableDefaultDeny says otherwise (Cilium's switch for
	// deny-only policies that should not block everything else).
	dd := s.EnableDefaultDeny.V
	p.DefaultDeny[Ingress] = len(s.Ingress)+len(s.IngressDeny) > 0 && (!dd.Ingress.Set() || dd.Ingress.V)
	p.DefaultDeny[Egress] = len(s.Egress)+len(s.EgressDeny) > 0 && (!dd.Egress.Set() || dd.Egress.V)
	return p
}

func inNamespace(ns string) string {
	if ns == "" {
		return ""
	}
	return " in namespace " + ns
}

func ingressRule(v yamlpos.Value[ingressSpec]) nativeRule {
	r := v.V
	return nativeRule{line: v.Line, endpoints: r.FromEndpoints, cidrs: r.FromCIDR, cidrSets: r.FromCIDRSet,
		entities: r.FromEntities, toPorts: r.ToPorts, icmps: r.ICMPs, prefix: "from"}
}

func egressRule(v yamlpos.Value[egressSpec]) nativeRule {
	r := v.V
	return nativeRule{line: v.Line, endpoints: r.ToEndpoints, cidrs: r.ToCIDR, cidrSets: r.ToCIDRSet,
		entities: r.ToEntities, fqdns: r.ToFQDNs, toPorts: r.ToPorts, icmps: r.ICMPs, prefix: "to"}
}

// nativeRule follows Cilium: peers are ORed, and so are L4 matches; a rule
// with peers but no L4 is L3-only, one with L4 but no peers is L4-only, and
// an empty rule matches nothing (so "ingress: [{}]" only enables default
// deny).
func (b *builder) nativeRule(r nativeRule, ns, what string) Rule {
	out := Rule{Line: r.line}
	for i, e := range r.endpoints {
		where := fmt.Sprintf("%s.%sEndpoints[%d]", what, r.prefix, i)
		sel, namesNS := b.selector(e, where)
		s := Selector{Labels: sel}
		// Peers stay in the policy's namespace unless the selector names
		// the namespace itself, as Cilium does with its namespace label.
		if !namesNS {
			s.Namespace = ns
		}
		out.Endpoints = append(out.Endpoints, s)
	}
	for _, c := range r.cidrs {
		if p, ok := b.cidr(c, r.line); ok {
			out.CIDRs = append(out.CIDRs, CIDRSet{Prefix: p})
		}
	}
	for i, c := range r.cidrSets {
		if set, ok := b.cidrSet(c, fmt.Sprintf("%s.%sCIDRSet[%d]", what, r.prefix, i)); ok {
			out.CIDRs = append(out.CIDRs, set)
		}
	}
	for _, e := range r.entities {
		switch ent := Entity(e.V); ent {
		case EntityWorld, EntityHost, EntityCluster, EntityAll:
			out.Entities = append(out.Entities, ent)
		default:
			b.addf(e.LineOr(r.line), "%s.%sEntities: unknown entity %q; want world, host, cluster or all", what, r.prefix, e.V)
		}
	}
	for i, tp := range r.toPorts {
		where := fmt.Sprintf("%s.toPorts[%d]", what, i)
		if len(tp.V.Ports) == 0 {
			b.addf(tp.Line, "%s: ports is required: a list of {port, endPort, protocol}", where)
			continue
		}
		l4 := b.ports(tp.V.Ports, "ANY", false, where+".ports")
		if tp.V.Rules.Set() {
			if r.deny {
				b.addf(tp.V.Rules.Line, "%s.rules: deny rules cannot have L7 rules; deny the port, or allow only what is wanted", where)
			} else if l7 := b.l7Rules(tp.V.Rules, where+".rules"); l7 != nil {
				for i := range l4 {
					l4[i].L7 = l7
				}
			}
		}
		out.L4 = append(out.L4, l4...)
	}
	for i, f := range r.fqdns {
		where := fmt.Sprintf("%s.toFQDNs[%d]", what, i)
		if r.deny {
			b.addf(f.Line, "%s: deny rules cannot select by DNS name; use toCIDR", where)
			continue
		}
		if sel, ok := b.fqdn(f, where); ok {
			out.FQDNs = append(out.FQDNs, sel)
		}
	}
	out.L4 = append(out.L4, b.icmps(r.icmps, what+".icmps")...)

	hasPeers := len(r.endpoints)+len(r.cidrs)+len(r.cidrSets)+len(r.entities)+len(r.fqdns) > 0
	hasL4 := len(r.toPorts)+len(r.icmps) > 0
	out.AnyPeer = !hasPeers && hasL4
	out.AnyL4 = hasPeers && !hasL4
	return out
}
