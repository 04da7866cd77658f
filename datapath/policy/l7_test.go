package policy

import (
	"net/http"
	"net/netip"
	"strings"
	"testing"
)

const l7Policies = `
apiVersion: loupe.dev/v1
kind: LoupeNetworkPolicy
metadata: {name: catalog-api, namespace: shop}
spec:
  endpointSelector: {matchLabels: {app: catalog}}
  ingress:
    - fromEndpoints: [{matchLabels: {app: frontend}}]
      toPorts:
        - ports: [{port: "8080", protocol: TCP}]
          rules:
            http:
              - {method: GET, path: "/products(/.*)?"}
              - {method: POST, path: /orders, headers: ["X-Token"]}
---
apiVersion: loupe.dev/v1
kind: LoupeNetworkPolicy
metadata: {name: frontend-out, namespace: shop}
spec:
  endpointSelector: {matchLabels: {app: frontend}}
  egress:
    - toEndpoints: [{matchLabels: {app: dns, loupe.namespace: infra}}]
      toPorts:
        - ports: [{port: "53", protocol: ANY}]
          rules:
            dns: [{matchPattern: "*.example.com"}, {matchName: catalog.shop.svc.loupe}]
    - toFQDNs: [{matchName: api.example.com}]
      toPorts:
        - ports: [{port: "443", protocol: TCP}]
    - toEndpoints: [{matchLabels: {app: catalog}}]
`

func TestL7RulesResolveToProxiedEntries(t *testing.T) {
	ps, err := Parse("l7.yaml", []byte(l7Policies))
	if err != nil {
		t.Fatal(err)
	}
	api := netip.MustParseAddr("192.0.2.10")
	lookup := func(s *FQDNSelector) []netip.Prefix {
		if s.Matches("api.example.com") {
			return []netip.Prefix{netip.PrefixFrom(api, 32)}
		}
		return nil
	}
	res, err := Resolve(ps, testEndpoints, testIdentities, &fakeAllocator{}, WithFQDNs(lookup))
	if err != nil {
		t.Fatal(err)
	}
	catalog, frontend := res.Endpoints[testNames["catalog"]], res.Endpoints[testNames["frontend"]]

	set := DecideL7(catalog, Ingress, 256, ProtoTCP, 8080)
	if set == nil || set.AllowAll || len(set.Grants) != 1 || set.Parser() != L7HTTP {
		t.Fatalf("catalog ingress 8080 from frontend: %+v, want one HTTP grant", set)
	}
	for _, c := range []struct {
		method, path string
		header       http.Header
		want         bool
	}{
		{"GET", "/products", nil, true},
		{"GET", "/products/7", nil, true},
		{"GET", "/productsX", nil, false},
		{"DELETE", "/products/7", nil, false},
		{"POST", "/orders", nil, false},
		{"POST", "/orders", http.Header{"X-Token": {"x"}}, true},
	} {
		ok, names := set.Allows(func(r *L7Rules) bool {
			for i := range r.HTTP {
				if r.HTTP[i].Matches(c.method, "catalog", c.path, c.header) {
					return true
				}
			}
			return false
		})
		if ok != c.want || (ok && strings.Join(names, ",") != "shop/catalog-api") {
			t.Errorf("%s %s %v: allowed %v by %v, want %v", c.method, c.path, c.header, ok, names, c.want)
		}
	}
	if s := DecideL7(catalog, Ingress, 258, ProtoTCP, 8080); s != nil {
		t.Errorf("cart is not allowed at all, so not proxied: %+v", s)
	}
	dns := DecideL7(frontend, Egress, 260, ProtoUDP, 53)
	if dns == nil || dns.Parser() != L7DNS {
		t.Fatalf("frontend egress DNS: %+v", dns)
	}
	if ok, _ := dns.Allows(func(r *L7Rules) bool { return r.DNS[0].Matches("www.example.com.") }); !ok {
		t.Error("www.example.com not allowed")
	}
	if ok, _ := dns.Allows(func(r *L7Rules) bool { return r.DNS[0].Matches("a.b.example.com") || r.DNS[1].Matches("evil.com") }); ok {
		t.Error("a.b.example.com or evil.com allowed")
	}
	// The L3 rule to catalog has no L7 rules: not proxied.
	if s := DecideL7(frontend, Egress, 257, ProtoTCP, 8080); s != nil {
		t.Errorf("frontend to catalog proxied by an L3 rule: %+v", s)
	}
	// toFQDNs: the answered address got a CIDR identity and an entry.
	id := res.IdentityOf(api)
	if id == 0 || Decide(frontend, Egress, id, ProtoTCP, 443).Outcome != Allowed {
		t.Errorf("api.example.com's address (identity %d) not allowed on 443", id)
	}
	if Decide(frontend, Egress, id, ProtoTCP, 80).Outcome != Denied {
		t.Error("api.example.com's address allowed on 80")
	}
}

func TestL7RulesRefuseBadInput(t *testing.T) {
	for _, c := range []struct{ name, rule, want string }{
		{"bad regexp", `{http: [{path: "/a("}]}`, "path: missing closing )"},
		{"two protocols", `{http: [{}], dns: [{}]}`, "one protocol per port rule"},
		{"bad pattern", `{dns: [{matchPattern: "a b"}]}`, "want a DNS name with '*' wildcards"},
		{"star in name", `{dns: [{matchName: "*.x.com"}]}`, "use matchPattern"},
		{"bad role", `{kafka: [{role: admin}]}`, "want produce or consume"},
		{"empty", `{}`, "no rules"},
	} {
		doc := `
apiVersion: loupe.dev/v1
kind: LoupeNetworkPolicy
metadata: {name: p}
spec:
  endpointSelector: {}
  ingress:
    - toPorts:
        - ports: [{port: "80"}]
          rules: ` + c.rule + "\n"
		_, err := Parse("bad.yaml", []byte(doc))
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), "bad.yaml:") {
			t.Errorf("%s: error %v, want one with file:line and %q", c.name, err, c.want)
		}
	}
	deny := `
apiVersion: loupe.dev/v1
kind: LoupeNetworkPolicy
metadata: {name: p}
spec:
  endpointSelector: {}
  egressDeny:
    - toFQDNs: [{matchName: x.com}]
`
	if _, err := Parse("deny.yaml", []byte(deny)); err == nil || !strings.Contains(err.Error(), "deny rules cannot select by DNS name") {
		t.Errorf("toFQDNs in a deny rule: %v", err)
	}
}
