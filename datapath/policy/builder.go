package policy

import (
	"fmt"
	"net/netip"
	"regexp"
	"slices"
	"strings"

	"github.com/loupe-dev/loupe/api/labels"
	"github.com/loupe-dev/loupe/internal/yamlpos"
)

// builder turns the YAML shapes into a Policy, recording every problem
// instead of stopping at the first.
type builder struct {
	ps *problems
}

func (b *builder) addf(line int, format string, a ...any) { b.ps.addf(line, format, a...) }

func (b *builder) apiVersion(h header, want string, line int) {
	switch {
	case !h.APIVersion.Set():
		b.addf(line, "apiVersion is missing; want %s with kind %s", want, h.Kind.V)
	case h.APIVersion.V != want:
		b.addf(h.APIVersion.Line, "apiVersion %q does not go with kind %s; want %s", h.APIVersion.V, h.Kind.V, want)
	}
}

// nameRe is a Kubernetes object name (DNS subdomain).
var nameRe = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$`)

// metadata validates name and namespace; defaultNS applies when the
// namespace is not written.
func (b *builder) metadata(m yamlpos.Value[metadataSpec], line int, defaultNS string) (name, ns string) {
	if !m.Set() {
		b.addf(line, "metadata is required, with at least a name")
		return "", defaultNS
	}
	name = m.V.Name.V
	switch {
	case !m.V.Name.Set() || name == "":
		b.addf(m.Line, "metadata.name is required")
	case len(name) > 253 || !nameRe.MatchString(name):
		b.addf(m.V.Name.Line, "metadata.name %q: want lower-case letters, digits, '-' and '.', starting and ending with a letter or digit", name)
	}
	ns = defaultNS
	if m.V.Namespace.Set() {
		ns = m.V.Namespace.V
		if err := labels.ValidateValue(ns); err != nil || ns == "" {
			b.addf(m.V.Namespace.Line, "metadata.namespace %q: want a non-empty label value (letters, digits, '-', '_', '.')", ns)
		}
	}
	return name, ns
}

// selector compiles a LabelSelector over identity labels. Keys may carry
// Cilium's source prefix (k8s:, any:), and Cilium's namespace label
// io.kubernetes.pod.namespace means loupe.namespace, so that selectors copied
// from CiliumNetworkPolicies work unchanged.
func (b *builder) selector(v yamlpos.Value[selectorSpec], what string) (sel labels.Selector, namesNamespace bool) {
	var reqs []string
	keys := make([]string, 0, len(v.V.MatchLabels.V))
	for k := range v.V.MatchLabels.V {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	mlLine := v.V.MatchLabels.LineOr(v.Line)
	ok := true
	for _, k := range keys {
		val := v.V.MatchLabels.V[k]
		key := canonicalKey(k)
		if err := labels.ValidateKey(key); err != nil {
			b.addf(mlLine, "%s.matchLabels: %v", what, err)
			ok = false
			continue
		}
		if err := labels.ValidateValue(val); err != nil {
			b.addf(mlLine, "%s.matchLabels: %v", what, err)
			ok = false
			continue
		}
		namesNamespace = namesNamespace || key == labels.NamespaceKey
		reqs = append(reqs, key+"="+val)
	}
	for i, e := range v.V.MatchExpressions {
		r, named, good := b.expression(e, fmt.Sprintf("%s.matchExpressions[%d]", what, i))
		ok = ok && good
		namesNamespace = namesNamespace || named
		reqs = append(reqs, r)
	}
	if !ok {
		return labels.Selector{}, false
	}
	// Keys and values are validated above, so the text form cannot be
	// misread by the parser: reuse the one matcher the project has.
	sel, err := labels.ParseSelector(strings.Join(reqs, ","))
	if err != nil {
		b.addf(v.Line, "%s: %v", what, err)
	}
	return sel, namesNamespace
}

func (b *builder) expression(v yamlpos.Value[expressionSpec], what string) (req string, namesNamespace, ok bool) {
	e := v.V
	key := canonicalKey(e.Key.V)
	if !e.Key.Set() {
		b.addf(v.Line, "%s: key is required", what)
		return "", false, false
	}
	if err := labels.ValidateKey(key); err != nil {
		b.addf(e.Key.Line, "%s: %v", what, err)
		return "", false, false
	}
	values := make([]string, 0, len(e.Values))
	for _, val := range e.Values {
		if err := labels.ValidateValue(val.V); err != nil {
			b.addf(val.Line, "%s: %v", what, err)
			return "", false, false
		}
		values = append(values, val.V)
	}
	line := e.Operator.LineOr(v.Line)
	switch e.Operator.V {
	case "In", "NotIn":
		if len(values) == 0 {
			b.addf(line, "%s: operator %s needs at least one value", what, e.Operator.V)
			return "", false, false
		}
		op := " in "
		if e.Operator.V == "NotIn" {
			op = " notin "
		}
		return key + op + "(" + strings.Join(values, ",") + ")", key == labels.NamespaceKey, true
	case "Exists", "DoesNotExist":
		if len(values) > 0 {
			b.addf(line, "%s: operator %s takes no values", what, e.Operator.V)
			return "", false, false
		}
		if e.Operator.V == "DoesNotExist" {
			return "!" + key, key == labels.NamespaceKey, true
		}
		return key, key == labels.NamespaceKey, true
	case "":
		b.addf(line, "%s: operator is required; want In, NotIn, Exists or DoesNotExist", what)
	default:
		b.addf(line, "%s: operator %q: want In, NotIn, Exists or DoesNotExist", what, e.Operator.V)
	}
	return "", false, false
}

// ciliumNamespaceKey is the label Cilium gives every pod with its namespace.
const ciliumNamespaceKey = "io.kubernetes.pod.namespace"

func canonicalKey(k string) string {
	for _, src := range []string{"k8s:", "any:"} {
		k = strings.TrimPrefix(k, src)
	}
	if k == ciliumNamespaceKey {
		return labels.NamespaceKey
	}
	return k
}

// prefix parses a CIDR, or a bare address as a host prefix. Host bits are
// cleared, as Kubernetes does, so that equal networks get one identity.
func parsePrefix(s string) (netip.Prefix, error) {
	if !strings.Contains(s, "/") {
		a, err := netip.ParseAddr(s)
		if err != nil || a.Zone() != "" {
			return netip.Prefix{}, fmt.Errorf("invalid CIDR %q: want an address with a prefix length, like 10.0.0.0/8 or fd00::/64", s)
		}
		a = a.Unmap()
		return netip.PrefixFrom(a, a.BitLen()), nil
	}
	p, err := netip.ParsePrefix(s)
	if err != nil {
		return netip.Prefix{}, fmt.Errorf("invalid CIDR %q: want an address with a prefix length, like 10.0.0.0/8 or fd00::/64", s)
	}
	if p.Addr().Is4In6() && p.Bits() >= 96 {
		p = netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-96)
	}
	return p.Masked(), nil
}

func (b *builder) cidr(v yamlpos.Value[string], fallback int) (netip.Prefix, bool) {
	p, err := parsePrefix(v.V)
	if err != nil {
		b.addf(v.LineOr(fallback), "%v", err)
		return netip.Prefix{}, false
	}
	return p, true
}

// cidrSet validates a cidr with its excepts; each except must lie strictly
// inside the cidr, or it would except nothing (or everything).
func (b *builder) cidrSet(v yamlpos.Value[cidrSetSpec], what string) (CIDRSet, bool) {
	if !v.V.CIDR.Set() {
		b.addf(v.Line, "%s: cidr is required", what)
		return CIDRSet{}, false
	}
	p, ok := b.cidr(v.V.CIDR, v.Line)
	if !ok {
		return CIDRSet{}, false
	}
	set := CIDRSet{Prefix: p}
	for _, ev := range v.V.Except {
		e, good := b.cidr(ev, v.Line)
		switch {
		case !good:
			ok = false
		case e.Addr().Is4() != p.Addr().Is4() || !p.Overlaps(e):
			b.addf(ev.Line, "except %s is not inside cidr %s", e, p)
			ok = false
		case e.Bits() <= p.Bits():
			b.addf(ev.Line, "except %s must be narrower than cidr %s", e, p)
			ok = false
		default:
			set.Except = append(set.Except, e)
		}
	}
	return set, ok
}
