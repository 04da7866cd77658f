package policy

import (
	"fmt"

	"github.com/loupe-dev/loupe/api/labels"
	"github.com/loupe-dev/loupe/internal/yamlpos"
)

// defaultK8sNamespace is where a NetworkPolicy without a namespace lives, as
// kubectl would put it.
const defaultK8sNamespace = "default"

// kubernetes translates a networking.k8s.io/v1 NetworkPolicy with its own
// semantics: a rule without from/to matches every peer, one without ports
// every port, and policyTypes decides the directions it isolates.
func (b *builder) kubernetes(doc *k8sDoc, line int) *Policy {
	name, ns := b.metadata(doc.Metadata, line, defaultK8sNamespace)
	p := &Policy{Name: name, Namespace: ns, Kind: KindKubernetes, Line: line}
	if !doc.Spec.Set() {
		b.addf(line, "spec is required")
		return p
	}
	s := doc.Spec.V
	if !s.PodSelector.Set() {
		b.addf(doc.Spec.Line, "spec.podSelector is required; write {} to select every pod in namespace %s", ns)
	} else {
		sel, _ := b.selector(s.PodSelector, "spec.podSelector")
		p.Subject = Selector{Labels: sel, Namespace: ns}
	}

	// Without policyTypes, every policy isolates ingress, and egress too
	// when it has egress rules (Kubernetes' defaulting).
	types := [2]bool{Ingress: true, Egress: len(s.Egress) > 0}
	if len(s.PolicyTypes) > 0 {
		types = [2]bool{}
		for _, t := range s.PolicyTypes {
			switch t.V {
			case "Ingress":
				types[Ingress] = true
			case "Egress":
				types[Egress] = true
			default:
				b.addf(t.LineOr(doc.Spec.Line), "spec.policyTypes: %q: want Ingress or Egress", t.V)
			}
		}
	}
	p.DefaultDeny = types

	// Rules of a direction the policy does not isolate are ignored, as
	// Kubernetes does; they are still validated.
	for i, r := range s.Ingress {
		rule := b.k8sRule(r.Line, r.V.From, r.V.Ports, ns, fmt.Sprintf("spec.ingress[%d]", i), "from")
		if types[Ingress] {
			p.Ingress = append(p.Ingress, rule)
		}
	}
	for i, r := range s.Egress {
		rule := b.k8sRule(r.Line, r.V.To, r.V.Ports, ns, fmt.Sprintf("spec.egress[%d]", i), "to")
		if types[Egress] {
			p.Egress = append(p.Egress, rule)
		}
	}
	return p
}

func (b *builder) k8sRule(line int, peers []yamlpos.Value[k8sPeerSpec], ports []yamlpos.Value[portSpec], ns, what, field string) Rule {
	r := Rule{Line: line, AnyPeer: len(peers) == 0, AnyL4: len(ports) == 0}
	for i, pv := range peers {
		where := fmt.Sprintf("%s.%s[%d]", what, field, i)
		peer := pv.V
		hasSel := peer.PodSelector.Set() || peer.NamespaceSelector.Set()
		switch {
		case peer.IPBlock.Set() && hasSel:
			b.addf(pv.Line, "%s: ipBlock cannot be combined with podSelector or namespaceSelector", where)
		case peer.IPBlock.Set():
			if set, ok := b.cidrSet(peer.IPBlock, where+".ipBlock"); ok {
				r.CIDRs = append(r.CIDRs, set)
			}
		case hasSel:
			r.Endpoints = append(r.Endpoints, b.k8sPeer(peer, ns, where))
		default:
			b.addf(pv.Line, "%s: a peer needs podSelector, namespaceSelector or ipBlock", where)
		}
	}
	r.L4 = b.ports(ports, "TCP", true, what+".ports")
	return r
}

// k8sPeer: podSelector alone selects pods of the policy's namespace;
// namespaceSelector selects namespaces by their labels, and with a
// podSelector only the matching pods in them.
func (b *builder) k8sPeer(peer k8sPeerSpec, ns, where string) Selector {
	var s Selector
	if peer.PodSelector.Set() {
		s.Labels, _ = b.selector(peer.PodSelector, where+".podSelector")
	}
	if !peer.NamespaceSelector.Set() {
		s.Namespace = ns
		return s
	}
	nsSel, _ := b.selector(peer.NamespaceSelector, where+".namespaceSelector")
	s.Namespaces = &nsSel
	return s
}

// NamespaceNameLabel is the label Kubernetes (and the lab) gives every
// namespace with its own name; namespaceSelector matches over it by default.
const NamespaceNameLabel = "kubernetes.io/metadata.name"

// defaultNamespaceLabels are a namespace's labels when the caller gives none.
func defaultNamespaceLabels(ns string) labels.Set {
	return labels.Set{NamespaceNameLabel + "=" + ns}
}
