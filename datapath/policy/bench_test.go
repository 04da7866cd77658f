package policy

import (
	"fmt"
	"strings"
	"testing"

	"github.com/loupe-dev/loupe/api/labels"
)

// BenchmarkResolve resolves 10,000 rules (1,000 policies of 10 rules, a
// mix of label, CIDR, entity and port rules) for 200 endpoints in 10
// namespaces.
func BenchmarkResolve(b *testing.B) {
	var eps []Endpoint
	var ids []Identity
	for i := range 200 {
		l := labels.Set{fmt.Sprintf("app=app%d", i%20), fmt.Sprintf("loupe.namespace=ns%d", i%10), fmt.Sprintf("tier=t%d", i%3)}
		id := uint32(256 + i)
		eps = append(eps, Endpoint{ID: uint16(i + 1), Identity: id, Namespace: fmt.Sprintf("ns%d", i%10), Labels: l})
		ids = append(ids, Identity{ID: id, Labels: l})
	}
	var doc strings.Builder
	for p := range 1000 {
		fmt.Fprintf(&doc, "apiVersion: loupe.dev/v1\nkind: LoupeNetworkPolicy\nmetadata: {name: p%d, namespace: ns%d}\nspec:\n", p, p%10)
		fmt.Fprintf(&doc, "  endpointSelector: {matchLabels: {app: app%d}}\n  ingress:\n", p%20)
		for r := range 8 {
			fmt.Fprintf(&doc, "    - fromEndpoints: [{matchLabels: {tier: t%d}}]\n      toPorts: [{ports: [{port: \"%d\", protocol: TCP}]}]\n", r%3, 1000+r)
		}
		fmt.Fprintf(&doc, "  egress:\n    - toCIDRSet: [{cidr: 10.%d.0.0/16, except: [10.%d.1.0/24]}]\n", p%250, p%250)
		fmt.Fprintf(&doc, "    - toEntities: [world]\n      toPorts: [{ports: [{port: \"443\"}]}]\n---\n")
	}
	ps, err := Parse("bench.yaml", []byte(doc.String()))
	if err != nil {
		b.Fatal(err)
	}
	rules := 0
	for _, p := range ps {
		rules += len(p.Ingress) + len(p.Egress)
	}
	if rules != 10000 {
		b.Fatalf("%d rules, want 10000", rules)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Resolve(ps, eps, ids, &fakeAllocator{}); err != nil {
			b.Fatal(err)
		}
	}
}
