package policy

import (
	"net/netip"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/loupe-dev/loupe/api/labels"
)

// check is a connection a scenario explains: the outcome and what decided
// it, an entry's RuleName or "default ingress"/"default egress".
type check struct {
	from, to, l4 string
	want         Outcome
	by           string
}

type scenario struct {
	name     string
	policies string
	opts     []Option
	// want lists the endpoints that have policy; every other fixture
	// endpoint must come out with none.
	want   map[uint16]EndpointPolicy
	cidrs  []CIDRIdentity
	checks []check
}

func cidr(p string, id uint32) CIDRIdentity {
	return CIDRIdentity{Prefix: netip.MustParsePrefix(p), Identity: id}
}

// scenarios are shared by TestResolve (the entries) and TestExplain (what
// they decide), so that every scenario is checked both ways.
var scenarios = []scenario{{
	name: "no policy: default allow everywhere",
	checks: []check{
		{"frontend", "db", "5432/tcp", Allowed, "default ingress"},
		{"world", "db", "22/tcp", Allowed, "default ingress"},
	},
}, {
	name: "allow by label",
	policies: native("shop", "db", `  endpointSelector: {matchLabels: {app: db}}
  ingress:
    - fromEndpoints: [{matchLabels: {app: catalog}}]
      toPorts: [{ports: [{port: "5432", protocol: TCP}]}]`),
	want: map[uint16]EndpointPolicy{4: {IngressEnforced: true, IngressPolicies: []string{"shop/db"},
		Entries: []Entry{in("shop/db", 0, 257, ProtoTCP, 5432, 5432)}}},
	checks: []check{
		{"catalog", "db", "5432/tcp", Allowed, "shop/db ingress[0]"},
		{"catalog", "db", "5433/tcp", Denied, "default ingress"},
		{"catalog", "db", "5432/udp", Denied, "default ingress"},
		{"frontend", "db", "5432/tcp", Denied, "default ingress"},
		{"db", "catalog", "8080/tcp", Allowed, "default ingress"},
	},
}, {
	name: "peers stay in the policy's namespace",
	policies: native("shop", "db", `  endpointSelector: {matchLabels: {app: db}}
  ingress:
    - fromEndpoints: [{matchLabels: {app: frontend}}]`),
	want: map[uint16]EndpointPolicy{4: {IngressEnforced: true, IngressPolicies: []string{"shop/db"},
		Entries: []Entry{in("shop/db", 0, 256, 0, 0, 0)}}},
	checks: []check{
		{"frontend", "db", "5432/tcp", Allowed, "shop/db ingress[0]"},
		{"staging/frontend", "db", "5432/tcp", Denied, "default ingress"},
	},
}, {
	name: "allow by namespace",
	policies: native("shop", "db", `  endpointSelector: {matchLabels: {app: db}}
  ingress:
    - fromEndpoints: [{matchLabels: {loupe.namespace: infra}}]
    - fromEndpoints: [{matchLabels: {"k8s:io.kubernetes.pod.namespace": staging}}]
      toPorts: [{ports: [{port: "5432", protocol: TCP}]}]`),
	want: map[uint16]EndpointPolicy{4: {IngressEnforced: true, IngressPolicies: []string{"shop/db"},
		Entries: []Entry{in("shop/db", 0, 260, 0, 0, 0), in("shop/db", 0, 261, 0, 0, 0), in("shop/db", 1, 270, ProtoTCP, 5432, 5432)}}},
	checks: []check{
		{"metrics", "db", "128/icmpv6", Allowed, "shop/db ingress[0]"},
		{"staging/frontend", "db", "5432/tcp", Allowed, "shop/db ingress[1]"},
		{"cart", "db", "5432/tcp", Denied, "default ingress"},
	},
}, {
	name: "cluster-wide policy selects in every namespace",
	policies: native("", "dns", `  endpointSelector: {matchExpressions: [{key: app, operator: In, values: [dns, db]}]}
  ingress:
    - fromEndpoints: [{}]
      toPorts: [{ports: [{port: "53", protocol: UDP}]}]`),
	want: map[uint16]EndpointPolicy{
		4: {IngressEnforced: true, IngressPolicies: []string{"dns"}, Entries: each(in("dns", 0, 0, ProtoUDP, 53, 53), 256, 257, 258, 259, 260, 261, 270)},
		5: {IngressEnforced: true, IngressPolicies: []string{"dns"}, Entries: each(in("dns", 0, 0, ProtoUDP, 53, 53), 256, 257, 258, 259, 260, 261, 270)},
	},
	checks: []check{
		{"staging/frontend", "dns", "53/udp", Allowed, "dns ingress[0]"},
		{"world", "dns", "53/udp", Denied, "default ingress"},
		{"host", "dns", "53/udp", Denied, "default ingress"},
	},
}, {
	name: "CIDR with except",
	policies: native("shop", "out", `  endpointSelector: {matchLabels: {app: frontend}}
  egress:
    - toCIDRSet: [{cidr: 10.0.0.0/8, except: [10.1.0.0/16]}]
    - toCIDR: [10.1.2.0/24]
      toPorts: [{ports: [{port: "443", protocol: TCP}]}]`),
	cidrs: []CIDRIdentity{cidr("10.0.0.0/8", 1000), cidr("10.1.0.0/16", 1001), cidr("10.1.2.0/24", 1002)},
	want: map[uint16]EndpointPolicy{1: {EgressEnforced: true, EgressPolicies: []string{"shop/out"},
		Entries: []Entry{out("shop/out", 0, 1000, 0, 0, 0), out("shop/out", 1, 1002, ProtoTCP, 443, 443)}}},
	checks: []check{
		{"frontend", "10.2.3.4", "80/tcp", Allowed, "shop/out egress[0]"},
		{"frontend", "10.1.5.5", "80/tcp", Denied, "default egress"},
		{"frontend", "10.1.2.3", "443/tcp", Allowed, "shop/out egress[1]"},
		{"frontend", "10.1.2.3", "80/tcp", Denied, "default egress"},
		{"frontend", "8.8.8.8", "53/udp", Denied, "default egress"},
	},
}, {
	name: "a wider CIDR covers the narrower prefixes other rules name",
	policies: native("shop", "wide", `  endpointSelector: {matchLabels: {app: frontend}}
  egress:
    - toCIDR: [10.0.0.0/8]`) + native("shop", "narrow", `  endpointSelector: {matchLabels: {app: cart}}
  egress:
    - toCIDR: [10.9.0.0/16, "fd00::/64"]`),
	cidrs: []CIDRIdentity{cidr("10.0.0.0/8", 1000), cidr("10.9.0.0/16", 1001), cidr("fd00::/64", 1002)},
	want: map[uint16]EndpointPolicy{
		1: {EgressEnforced: true, EgressPolicies: []string{"shop/wide"}, Entries: each(out("shop/wide", 0, 0, 0, 0, 0), 1000, 1001)},
		3: {EgressEnforced: true, EgressPolicies: []string{"shop/narrow"}, Entries: each(out("shop/narrow", 0, 0, 0, 0, 0), 1001, 1002)},
	},
	checks: []check{
		{"frontend", "10.9.1.1", "80/tcp", Allowed, "shop/wide egress[0]"},
		{"cart", "10.8.1.1", "80/tcp", Denied, "default egress"},
		{"cart", "fd00::5", "80/tcp", Allowed, "shop/narrow egress[0]"},
	},
}, {
	name: "port ranges, protocol ANY and L4-only rules",
	policies: native("shop", "catalog", `  endpointSelector: {matchLabels: {app: catalog}}
  ingress:
    - toPorts:
        - ports:
            - {port: "8000", endPort: 8090, protocol: TCP}
            - {port: "9000"}`),
	want: map[uint16]EndpointPolicy{2: {IngressEnforced: true, IngressPolicies: []string{"shop/catalog"},
		Entries: []Entry{
			in("shop/catalog", 0, 0, ProtoTCP, 8000, 8090), in("shop/catalog", 0, 0, ProtoTCP, 9000, 9000),
			in("shop/catalog", 0, 0, ProtoUDP, 9000, 9000), in("shop/catalog", 0, 0, ProtoSCTP, 9000, 9000),
		}}},
	checks: []check{
		{"frontend", "catalog", "8000/tcp", Allowed, "shop/catalog ingress[0]"},
		{"world", "catalog", "8090/tcp", Allowed, "shop/catalog ingress[0]"},
		{"frontend", "catalog", "8091/tcp", Denied, "default ingress"},
		{"frontend", "catalog", "8050/udp", Denied, "default ingress"},
		{"frontend", "catalog", "9000/sctp", Allowed, "shop/catalog ingress[0]"},
		{"frontend", "catalog", "8/icmp", Denied, "default ingress"},
	},
}, {
	name: "deny overrides allow",
	policies: native("shop", "db", `  endpointSelector: {matchLabels: {app: db}}
  ingress:
    - fromEndpoints: [{matchLabels: {tier: api}}]
  ingressDeny:
    - fromEndpoints: [{matchLabels: {app: cart}}]
      toPorts: [{ports: [{port: "5432", protocol: TCP}]}]`),
	want: map[uint16]EndpointPolicy{4: {IngressEnforced: true, IngressPolicies: []string{"shop/db"},
		Entries: []Entry{deny(in("shop/db", 0, 258, ProtoTCP, 5432, 5432)), in("shop/db", 0, 257, 0, 0, 0), in("shop/db", 0, 258, 0, 0, 0)}}},
	checks: []check{
		{"cart", "db", "5432/tcp", Denied, "shop/db ingressDeny[0]"},
		{"cart", "db", "22/tcp", Allowed, "shop/db ingress[0]"},
		{"catalog", "db", "5432/tcp", Allowed, "shop/db ingress[0]"},
	},
}, {
	name: "deny in one policy beats allow in another",
	policies: native("shop", "allow-all", `  endpointSelector: {}
  ingress:
    - fromEntities: [all]`) + native("shop", "no-frontend", `  endpointSelector: {matchLabels: {app: db}}
  ingressDeny:
    - fromEndpoints: [{matchLabels: {app: frontend}}]`),
	want: map[uint16]EndpointPolicy{
		1: {IngressEnforced: true, IngressPolicies: []string{"shop/allow-all"}, Entries: []Entry{in("shop/allow-all", 0, 0, 0, 0, 0)}},
		2: {IngressEnforced: true, IngressPolicies: []string{"shop/allow-all"}, Entries: []Entry{in("shop/allow-all", 0, 0, 0, 0, 0)}},
		3: {IngressEnforced: true, IngressPolicies: []string{"shop/allow-all"}, Entries: []Entry{in("shop/allow-all", 0, 0, 0, 0, 0)}},
		4: {IngressEnforced: true, IngressPolicies: []string{"shop/allow-all", "shop/no-frontend"},
			Entries: []Entry{deny(in("shop/no-frontend", 0, 256, 0, 0, 0)), in("shop/allow-all", 0, 0, 0, 0, 0)}},
	},
	checks: []check{
		{"frontend", "db", "5432/tcp", Denied, "shop/no-frontend ingressDeny[0]"},
		{"catalog", "db", "5432/tcp", Allowed, "shop/allow-all ingress[0]"},
		{"world", "catalog", "8080/tcp", Allowed, "shop/allow-all ingress[0]"},
	},
}, {
	name: "egress only",
	policies: native("shop", "fe", `  endpointSelector: {matchLabels: {app: frontend}}
  egress:
    - toEndpoints: [{matchLabels: {app: catalog}}]
      toPorts: [{ports: [{port: "8080", protocol: TCP}]}]`),
	want: map[uint16]EndpointPolicy{1: {EgressEnforced: true, EgressPolicies: []string{"shop/fe"},
		Entries: []Entry{out("shop/fe", 0, 257, ProtoTCP, 8080, 8080)}}},
	checks: []check{
		{"frontend", "catalog", "8080/tcp", Allowed, "shop/fe egress[0]"},
		{"frontend", "db", "5432/tcp", Denied, "default egress"},
		{"db", "frontend", "80/tcp", Allowed, "default ingress"},
	},
}, {
	name: "both directions",
	policies: native("shop", "db", `  endpointSelector: {matchLabels: {app: db}}
  ingress:
    - fromEndpoints: [{matchLabels: {app: catalog}}]
  egress:
    - toEndpoints: [{matchLabels: {loupe.namespace: infra, app: dns}}]
      toPorts: [{ports: [{port: "53", protocol: UDP}]}]`),
	want: map[uint16]EndpointPolicy{4: {IngressEnforced: true, EgressEnforced: true,
		IngressPolicies: []string{"shop/db"}, EgressPolicies: []string{"shop/db"},
		Entries: []Entry{in("shop/db", 0, 257, 0, 0, 0), out("shop/db", 0, 260, ProtoUDP, 53, 53)}}},
	checks: []check{
		{"db", "dns", "53/udp", Allowed, "shop/db egress[0]"},
		{"db", "dns", "53/tcp", Denied, "default egress"},
		{"db", "catalog", "8080/tcp", Denied, "default egress"},
		{"catalog", "db", "5432/tcp", Allowed, "shop/db ingress[0]"},
	},
}, {
	name: "entity world is World and every CIDR identity",
	policies: native("shop", "fe", `  endpointSelector: {matchLabels: {app: frontend}}
  egress:
    - toEntities: [world]`) + native("shop", "cat", `  endpointSelector: {matchLabels: {app: catalog}}
  egress:
    - toCIDR: [192.0.2.0/24]`),
	cidrs: []CIDRIdentity{cidr("192.0.2.0/24", 1000)},
	want: map[uint16]EndpointPolicy{
		1: {EgressEnforced: true, EgressPolicies: []string{"shop/fe"}, Entries: each(out("shop/fe", 0, 0, 0, 0, 0), World, 1000)},
		2: {EgressEnforced: true, EgressPolicies: []string{"shop/cat"}, Entries: []Entry{out("shop/cat", 0, 1000, 0, 0, 0)}},
	},
	checks: []check{
		{"frontend", "8.8.8.8", "53/udp", Allowed, "shop/fe egress[0]"},
		{"frontend", "192.0.2.9", "443/tcp", Allowed, "shop/fe egress[0]"},
		{"frontend", "catalog", "8080/tcp", Denied, "default egress"},
		{"catalog", "8.8.8.8", "53/udp", Denied, "default egress"},
	},
}, {
	name: "entity host",
	policies: native("shop", "db", `  endpointSelector: {matchLabels: {app: db}}
  ingress:
    - fromEntities: [host]`),
	want: map[uint16]EndpointPolicy{4: {IngressEnforced: true, IngressPolicies: []string{"shop/db"},
		Entries: []Entry{in("shop/db", 0, Host, 0, 0, 0)}}},
	checks: []check{
		{"host", "db", "5432/tcp", Allowed, "shop/db ingress[0]"},
		{"world", "db", "5432/tcp", Denied, "default ingress"},
		{"catalog", "db", "5432/tcp", Denied, "default ingress"},
	},
}, {
	name: "entity all",
	policies: native("shop", "db", `  endpointSelector: {matchLabels: {app: db}}
  ingress:
    - fromEntities: [all, host]
      toPorts: [{ports: [{port: "5432", protocol: TCP}]}]`),
	want: map[uint16]EndpointPolicy{4: {IngressEnforced: true, IngressPolicies: []string{"shop/db"},
		Entries: []Entry{in("shop/db", 0, 0, ProtoTCP, 5432, 5432)}}},
	checks: []check{
		{"203.0.113.1", "db", "5432/tcp", Allowed, "shop/db ingress[0]"},
		{"frontend", "db", "5433/tcp", Denied, "default ingress"},
	},
}, {
	name: "entity cluster",
	policies: native("shop", "db", `  endpointSelector: {matchLabels: {app: db}}
  ingress:
    - fromEntities: [cluster]`),
	want: map[uint16]EndpointPolicy{4: {IngressEnforced: true, IngressPolicies: []string{"shop/db"},
		Entries: each(in("shop/db", 0, 0, 0, 0, 0), Host, 256, 257, 258, 259, 260, 261, 270)}},
	checks: []check{
		{"metrics", "db", "5432/tcp", Allowed, "shop/db ingress[0]"},
		{"world", "db", "5432/tcp", Denied, "default ingress"},
	},
}, {
	name: "ICMP types",
	policies: native("shop", "ping", `  endpointSelector: {matchLabels: {app: catalog}}
  ingress:
    - fromEndpoints: [{matchLabels: {app: frontend}}]
      icmps:
        - fields: [{type: 8, family: IPv4}, {type: EchoRequest, family: IPv6}]
    - icmps: [{fields: [{type: EchoReply}]}]`),
	want: map[uint16]EndpointPolicy{2: {IngressEnforced: true, IngressPolicies: []string{"shop/ping"},
		Entries: []Entry{in("shop/ping", 1, 0, ProtoICMP, 0, 0), in("shop/ping", 0, 256, ProtoICMP, 8, 8), in("shop/ping", 0, 256, ProtoICMPv6, 128, 128)}}},
	checks: []check{
		{"frontend", "catalog", "8/icmp", Allowed, "shop/ping ingress[0]"},
		{"frontend", "catalog", "128/icmpv6", Allowed, "shop/ping ingress[0]"},
		{"frontend", "catalog", "8/icmpv6", Denied, "default ingress"},
		{"frontend", "catalog", "8/tcp", Denied, "default ingress"},
		{"world", "catalog", "0/icmp", Allowed, "shop/ping ingress[1]"},
		{"world", "catalog", "3/icmp", Denied, "default ingress"},
	},
}, {
	name: "an empty native rule denies all",
	policies: native("shop", "lockdown", `  endpointSelector: {}
  ingress: [{}]`),
	want: map[uint16]EndpointPolicy{
		1: {IngressEnforced: true, IngressPolicies: []string{"shop/lockdown"}},
		2: {IngressEnforced: true, IngressPolicies: []string{"shop/lockdown"}},
		3: {IngressEnforced: true, IngressPolicies: []string{"shop/lockdown"}},
		4: {IngressEnforced: true, IngressPolicies: []string{"shop/lockdown"}},
	},
	checks: []check{
		{"frontend", "catalog", "8080/tcp", Denied, "default ingress"},
		{"catalog", "dns", "53/udp", Allowed, "default ingress"},
	},
}, {
	name: "audit policy alone: its default deny is reported, not enforced",
	policies: native("shop", "db", `  audit: true
  endpointSelector: {matchLabels: {app: db}}
  ingress:
    - fromEndpoints: [{matchLabels: {app: catalog}}]
      toPorts: [{ports: [{port: "5432", protocol: TCP}]}]`),
	want: map[uint16]EndpointPolicy{4: {IngressEnforced: true, IngressAudit: true, IngressPolicies: []string{"shop/db"},
		Entries: []Entry{audit(in("shop/db", 0, 257, ProtoTCP, 5432, 5432))}}},
	checks: []check{
		{"catalog", "db", "5432/tcp", Allowed, "shop/db ingress[0]"},
		{"frontend", "db", "5432/tcp", Audited, "default ingress"},
	},
}, {
	name: "audit next to enforcing policies changes nothing forwarded",
	policies: native("shop", "enforced", `  endpointSelector: {matchLabels: {app: db}}
  ingress:
    - fromEndpoints: [{matchLabels: {tier: api}}]`) + native("shop", "trial", `  audit: true
  endpointSelector: {matchLabels: {app: db}}
  ingress:
    - fromEndpoints: [{matchLabels: {app: frontend}}]
  ingressDeny:
    - fromEndpoints: [{matchLabels: {app: cart}}]`),
	want: map[uint16]EndpointPolicy{4: {IngressEnforced: true, IngressPolicies: []string{"shop/enforced", "shop/trial"},
		Entries: []Entry{
			audit(deny(in("shop/trial", 0, 258, 0, 0, 0))),
			audit(in("shop/trial", 0, 256, 0, 0, 0)), in("shop/enforced", 0, 257, 0, 0, 0), in("shop/enforced", 0, 258, 0, 0, 0),
		}}},
	checks: []check{
		{"frontend", "db", "5432/tcp", Denied, "default ingress"},
		{"catalog", "db", "5432/tcp", Allowed, "shop/enforced ingress[0]"},
		{"cart", "db", "5432/tcp", Audited, "shop/trial ingressDeny[0]"},
		{"world", "db", "5432/tcp", Denied, "default ingress"},
	},
}, {
	name: "enableDefaultDeny false: a deny-only policy leaves the rest open",
	policies: native("shop", "no-frontend", `  endpointSelector: {matchLabels: {app: db}}
  enableDefaultDeny: {ingress: false}
  ingressDeny:
    - fromEndpoints: [{matchLabels: {app: frontend}}]`),
	want: map[uint16]EndpointPolicy{4: {Entries: []Entry{deny(in("shop/no-frontend", 0, 256, 0, 0, 0))}}},
	checks: []check{
		{"frontend", "db", "5432/tcp", Denied, "shop/no-frontend ingressDeny[0]"},
		{"catalog", "db", "5432/tcp", Allowed, "default ingress"},
	},
}, {
	name: "the same allow in two policies is one entry",
	policies: native("shop", "b", `  endpointSelector: {matchLabels: {app: db}}
  ingress:
    - fromEndpoints: [{matchLabels: {app: catalog}}]`) + netpol("shop", "a", `  podSelector: {matchLabels: {app: db}}
  ingress:
    - from: [{podSelector: {matchLabels: {app: catalog}}}]`),
	want: map[uint16]EndpointPolicy{4: {IngressEnforced: true, IngressPolicies: []string{"shop/a", "shop/b"},
		Entries: []Entry{in("shop/a", 0, 257, 0, 0, 0)}}},
	checks: []check{{"catalog", "db", "5432/tcp", Allowed, "shop/a ingress[0]"}},
}, {
	name:     "Kubernetes: default deny all ingress",
	policies: netpol("shop", "default-deny", "  podSelector: {}\n  policyTypes: [Ingress]"),
	want: map[uint16]EndpointPolicy{
		1: {IngressEnforced: true, IngressPolicies: []string{"shop/default-deny"}},
		2: {IngressEnforced: true, IngressPolicies: []string{"shop/default-deny"}},
		3: {IngressEnforced: true, IngressPolicies: []string{"shop/default-deny"}},
		4: {IngressEnforced: true, IngressPolicies: []string{"shop/default-deny"}},
	},
	checks: []check{
		{"frontend", "catalog", "8080/tcp", Denied, "default ingress"},
		{"catalog", "dns", "53/udp", Allowed, "default ingress"},
	},
}, {
	name: "Kubernetes: allow from a namespaceSelector",
	policies: netpol("shop", "db", `  podSelector: {matchLabels: {app: db}}
  ingress:
    - from:
        - namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: infra}}
        - namespaceSelector: {matchLabels: {team: platform}}
          podSelector: {matchLabels: {app: frontend}}`),
	opts: []Option{WithNamespaceLabels(map[string]labels.Set{"staging": {"team=platform"}})},
	want: map[uint16]EndpointPolicy{4: {IngressEnforced: true, IngressPolicies: []string{"shop/db"},
		Entries: each(in("shop/db", 0, 0, 0, 0, 0), 260, 261, 270)}},
	checks: []check{
		{"dns", "db", "5432/tcp", Allowed, "shop/db ingress[0]"},
		{"staging/frontend", "db", "5432/tcp", Allowed, "shop/db ingress[0]"},
		{"frontend", "db", "5432/tcp", Denied, "default ingress"},
	},
}, {
	name: "Kubernetes: ipBlock with except",
	policies: netpol("shop", "fe", `  podSelector: {matchLabels: {app: frontend}}
  egress:
    - to: [{ipBlock: {cidr: 10.0.0.0/8, except: [10.1.0.0/16]}}]
      ports: [{port: 443}]`),
	cidrs: []CIDRIdentity{cidr("10.0.0.0/8", 1000), cidr("10.1.0.0/16", 1001)},
	want: map[uint16]EndpointPolicy{1: {IngressEnforced: true, EgressEnforced: true,
		IngressPolicies: []string{"shop/fe"}, EgressPolicies: []string{"shop/fe"},
		Entries: []Entry{out("shop/fe", 0, 1000, ProtoTCP, 443, 443)}}},
	checks: []check{
		{"frontend", "10.9.9.9", "443/tcp", Allowed, "shop/fe egress[0]"},
		{"frontend", "10.1.9.9", "443/tcp", Denied, "default egress"},
		{"frontend", "10.9.9.9", "443/udp", Denied, "default egress"},
		{"catalog", "frontend", "80/tcp", Denied, "default ingress"},
	},
}, {
	name: "Kubernetes: ports with endPort, protocol TCP by default",
	policies: netpol("shop", "cart", `  podSelector: {matchLabels: {app: cart}}
  ingress:
    - from: [{podSelector: {matchLabels: {app: frontend}}}]
      ports:
        - {port: 32000, endPort: 32768}
        - {protocol: UDP}`),
	want: map[uint16]EndpointPolicy{3: {IngressEnforced: true, IngressPolicies: []string{"shop/cart"},
		Entries: []Entry{in("shop/cart", 0, 256, ProtoTCP, 32000, 32768), in("shop/cart", 0, 256, ProtoUDP, 0, 0)}}},
	checks: []check{
		{"frontend", "cart", "32768/tcp", Allowed, "shop/cart ingress[0]"},
		{"frontend", "cart", "32769/tcp", Denied, "default ingress"},
		{"frontend", "cart", "5000/udp", Allowed, "shop/cart ingress[0]"},
	},
}, {
	name: "Kubernetes: policyTypes Egress only, a rule without to matches every peer",
	policies: netpol("shop", "fe", `  podSelector: {matchLabels: {app: frontend}}
  policyTypes: [Egress]
  ingress:
    - from: [{podSelector: {}}]
  egress:
    - to: [{podSelector: {matchLabels: {tier: api}}}]
      ports: [{port: 8080}]
    - ports: [{port: 53, protocol: UDP}]`),
	want: map[uint16]EndpointPolicy{1: {EgressEnforced: true, EgressPolicies: []string{"shop/fe"},
		Entries: []Entry{out("shop/fe", 1, 0, ProtoUDP, 53, 53), out("shop/fe", 0, 257, ProtoTCP, 8080, 8080), out("shop/fe", 0, 258, ProtoTCP, 8080, 8080)}}},
	checks: []check{
		{"frontend", "cart", "8080/tcp", Allowed, "shop/fe egress[0]"},
		{"frontend", "dns", "53/udp", Allowed, "shop/fe egress[1]"},
		{"frontend", "db", "5432/tcp", Denied, "default egress"},
		{"world", "frontend", "80/tcp", Allowed, "default ingress"},
	},
}, {
	name: "Kubernetes: an empty rule allows everything",
	policies: netpol("infra", "dns", `  podSelector: {matchLabels: {app: dns}}
  ingress: [{}]`),
	want: map[uint16]EndpointPolicy{5: {IngressEnforced: true, IngressPolicies: []string{"infra/dns"},
		Entries: []Entry{in("infra/dns", 0, 0, 0, 0, 0)}}},
	checks: []check{{"world", "dns", "53/udp", Allowed, "infra/dns ingress[0]"}},
}}

func resolveScenario(t *testing.T, s scenario) (*Result, *fakeAllocator) {
	t.Helper()
	var ps []*Policy
	if s.policies != "" {
		var err error
		if ps, err = Parse(s.name+".yaml", []byte(s.policies)); err != nil {
			t.Fatal(err)
		}
	}
	alloc := &fakeAllocator{}
	res, err := Resolve(ps, testEndpoints, testIdentities, alloc, s.opts...)
	if err != nil {
		t.Fatal(err)
	}
	return res, alloc
}

func TestResolve(t *testing.T) {
	for _, s := range scenarios {
		t.Run(s.name, func(t *testing.T) {
			res, alloc := resolveScenario(t, s)
			want := &Result{Endpoints: map[uint16]EndpointPolicy{}, CIDRs: s.cidrs}
			for _, ep := range testEndpoints {
				want.Endpoints[ep.ID] = s.want[ep.ID]
			}
			if diff := cmp.Diff(res, want, cmpopts.EquateEmpty(), cmp.Comparer(func(a, b netip.Prefix) bool { return a == b })); diff != "" {
				t.Errorf("Resolve (-got +want):\n%s", diff)
			}
			// Every CIDR identity was asked for once, with its label.
			var wantAsked []string
			for _, c := range s.cidrs {
				wantAsked = append(wantAsked, CIDRLabel(c.Prefix))
			}
			if diff := cmp.Diff(alloc.asked, wantAsked, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("allocations (-got +want):\n%s", diff)
			}
		})
	}
}

func TestExplain(t *testing.T) {
	for _, s := range scenarios {
		t.Run(s.name, func(t *testing.T) {
			res, _ := resolveScenario(t, s)
			for _, c := range s.checks {
				proto, port := l4(t, c.l4)
				v := Explain(res, peer(t, res, c.from), peer(t, res, c.to), proto, port)
				by := "default " + v.Side.String()
				if e := v.Step().Entry; e != nil {
					by = e.RuleName()
				}
				if v.Outcome != c.want || by != c.by {
					t.Errorf("%s -> %s %s: %s by %s (%s), want %s by %s", c.from, c.to, c.l4, v.Outcome, by, v.Reason, c.want, c.by)
				}
			}
		})
	}
}
