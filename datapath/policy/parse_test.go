package policy

import (
	"errors"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/loupe-dev/loupe/api/labels"
)

// sel parses a selector for expectations.
func sel(t testing.TB, s string) labels.Selector {
	t.Helper()
	out, err := labels.ParseSelector(s)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

var policyCmp = cmp.Options{
	cmp.Comparer(func(a, b labels.Selector) bool { return a.String() == b.String() }),
	cmp.Comparer(func(a, b netip.Prefix) bool { return a == b }),
	cmpopts.EquateEmpty(),
}

const validFile = `# native and Kubernetes documents in one file
apiVersion: loupe.dev/v1
kind: LoupeNetworkPolicy
metadata:
  name: db
  namespace: shop
spec:
  description: the database
  endpointSelector:
    matchLabels: {app: db}
    matchExpressions:
      - {key: tier, operator: NotIn, values: [web]}
  ingress:
    - fromEndpoints:
        - matchLabels: {app: catalog}
        - matchLabels: {"k8s:io.kubernetes.pod.namespace": infra, app: metrics}
      toPorts:
        - ports:
            - {port: "5432", protocol: TCP}
            - {port: 6000, endPort: 6010}
    - fromCIDR: [10.1.2.3/8, 192.0.2.7]
      fromCIDRSet:
        - {cidr: "fd00::/48", except: ["fd00:0:0:1::/64"]}
    - fromEntities: [host]
      icmps:
        - fields:
            - {type: 8}
            - {type: EchoRequest, family: IPv6}
  egressDeny:
    - toEntities: [world]
---
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: metrics
  namespace: infra
spec:
  podSelector:
    matchLabels: {app: metrics}
  ingress:
    - from:
        - namespaceSelector:
            matchLabels: {kubernetes.io/metadata.name: shop}
          podSelector:
            matchExpressions: [{key: app, operator: Exists}]
        - ipBlock: {cidr: 172.16.0.0/12, except: [172.16.1.0/24]}
      ports:
        - {port: 8125, protocol: UDP}
        - {port: 9000, endPort: 9100}
  egress:
    - {}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: deny-all}
spec:
  podSelector: {}
  policyTypes: [Ingress, Egress]
`

func TestParseValid(t *testing.T) {
	got, err := Parse("ok.yaml", []byte(validFile))
	if err != nil {
		t.Fatal(err)
	}
	infra := sel(t, "kubernetes.io/metadata.name=shop")
	want := []*Policy{{
		Name: "db", Namespace: "shop", Kind: KindLoupe, File: "ok.yaml", Line: 2, Description: "the database",
		Subject: Selector{Labels: sel(t, "app=db,tier notin (web)"), Namespace: "shop"},
		Ingress: []Rule{{
			Line: 14,
			Endpoints: []Selector{
				{Labels: sel(t, "app=catalog"), Namespace: "shop"},
				{Labels: sel(t, "app=metrics,loupe.namespace=infra")},
			},
			L4: []L4{{ProtoTCP, 5432, 5432, nil}, {ProtoTCP, 6000, 6010, nil}, {ProtoUDP, 6000, 6010, nil}, {ProtoSCTP, 6000, 6010, nil}},
		}, {
			Line: 21,
			CIDRs: []CIDRSet{
				{Prefix: netip.MustParsePrefix("10.0.0.0/8")},
				{Prefix: netip.MustParsePrefix("192.0.2.7/32")},
				{Prefix: netip.MustParsePrefix("fd00::/48"), Except: []netip.Prefix{netip.MustParsePrefix("fd00:0:0:1::/64")}},
			},
			AnyL4: true,
		}, {
			Line: 24, Entities: []Entity{EntityHost},
			L4: []L4{{ProtoICMP, 8, 8, nil}, {ProtoICMPv6, 128, 128, nil}},
		}},
		EgressDeny:  []Rule{{Line: 30, Entities: []Entity{EntityWorld}, AnyL4: true}},
		DefaultDeny: [2]bool{true, true},
	}, {
		Name: "metrics", Namespace: "infra", Kind: KindKubernetes, File: "ok.yaml", Line: 33,
		Subject: Selector{Labels: sel(t, "app=metrics"), Namespace: "infra"},
		Ingress: []Rule{{
			Line:      42,
			Endpoints: []Selector{{Labels: sel(t, "app"), Namespaces: &infra}},
			CIDRs:     []CIDRSet{{Prefix: netip.MustParsePrefix("172.16.0.0/12"), Except: []netip.Prefix{netip.MustParsePrefix("172.16.1.0/24")}}},
			L4:        []L4{{ProtoUDP, 8125, 8125, nil}, {ProtoTCP, 9000, 9100, nil}},
		}},
		Egress:      []Rule{{Line: 52, AnyPeer: true, AnyL4: true}},
		DefaultDeny: [2]bool{true, true},
	}, {
		Name: "deny-all", Namespace: "default", Kind: KindKubernetes, File: "ok.yaml", Line: 54,
		Subject:     Selector{Labels: sel(t, ""), Namespace: "default"},
		DefaultDeny: [2]bool{true, true},
	}}
	if diff := cmp.Diff(got, want, policyCmp); diff != "" {
		t.Errorf("Parse (-got +want):\n%s", diff)
	}
}

// doc wraps a native spec in its header, the spec starting on line 6.
func doc(spec string) string {
	return "apiVersion: loupe.dev/v1\nkind: LoupeNetworkPolicy\nmetadata: {name: p, namespace: shop}\nspec:\n  endpointSelector: {}\n" + spec
}

// k8s wraps a NetworkPolicy spec, the spec starting on line 6.
func k8s(spec string) string {
	return "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: p, namespace: shop}\nspec:\n  podSelector: {}\n" + spec
}

func TestParseBadInput(t *testing.T) {
	tests := []struct {
		name, yaml string
		want       []string
	}{
		{"unknown field", doc("  ingress:\n    - fromEndpoint: [{}]\n"),
			[]string{`bad.yaml:7: unknown field "fromEndpoint" in spec.ingress[0]; known fields are fromCIDR, fromCIDRSet, fromEndpoints, fromEntities, icmps, toPorts`}},
		{"unknown top-level field", "apiVersion: loupe.dev/v1\nkind: LoupeNetworkPolicy\nmetadata: {name: p}\nspecs: []\n",
			[]string{
				`bad.yaml:1: spec is required`,
				`bad.yaml:4: unknown field "specs" in the top level; known fields are apiVersion, kind, metadata, spec`,
			}},
		{"bad CIDR", doc("  egress:\n    - toCIDR: [10.0.0.0/33]\n"),
			[]string{`bad.yaml:7: invalid CIDR "10.0.0.0/33": want an address with a prefix length, like 10.0.0.0/8 or fd00::/64`}},
		{"except outside its cidr", doc("  egress:\n    - toCIDRSet:\n        - cidr: 10.0.0.0/8\n          except: [192.168.0.0/16]\n"),
			[]string{`bad.yaml:9: except 192.168.0.0/16 is not inside cidr 10.0.0.0/8`}},
		{"except as wide as its cidr", doc("  egress:\n    - toCIDRSet: [{cidr: 10.0.0.0/8, except: [10.0.0.0/8]}]\n"),
			[]string{`bad.yaml:7: except 10.0.0.0/8 must be narrower than cidr 10.0.0.0/8`}},
		{"port 0", doc("  ingress:\n    - toPorts: [{ports: [{port: 0}]}]\n"),
			[]string{`bad.yaml:7: spec.ingress[0].toPorts[0].ports[0]: port 0 is out of range: want 1-65535 (leave port out to match every port)`}},
		{"port 70000", k8s("  ingress:\n    - ports:\n        - port: 70000\n"),
			[]string{`bad.yaml:8: spec.ingress[0].ports[0]: port 70000 is out of range: want 1-65535`}},
		{"endPort below port", doc("  ingress:\n    - toPorts:\n        - ports:\n            - port: \"8080\"\n              endPort: 80\n"),
			[]string{`bad.yaml:10: spec.ingress[0].toPorts[0].ports[0]: endPort 80 is less than port 8080`}},
		{"endPort without port", k8s("  ingress:\n    - ports: [{endPort: 80}]\n"),
			[]string{`bad.yaml:7: spec.ingress[0].ports[0]: endPort needs port`}},
		{"named port", k8s("  ingress:\n    - ports: [{port: http}]\n"),
			[]string{`bad.yaml:7: spec.ingress[0].ports[0]: port "http": named ports are not supported; write the number`}},
		{"bad protocol", doc("  ingress:\n    - toPorts: [{ports: [{port: \"80\", protocol: HTTP}]}]\n"),
			[]string{`bad.yaml:7: spec.ingress[0].toPorts[0].ports[0]: protocol "HTTP": want TCP, UDP, SCTP or ANY`}},
		{"ANY in Kubernetes", k8s("  egress:\n    - ports: [{port: 53, protocol: ANY}]\n"),
			[]string{`bad.yaml:7: spec.egress[0].ports[0]: protocol "ANY": want TCP, UDP or SCTP`}},
		{"bad selector operator", doc("  ingress:\n    - fromEndpoints:\n        - matchExpressions:\n            - {key: app, operator: Equals, values: [db]}\n"),
			[]string{`bad.yaml:9: spec.ingress[0].fromEndpoints[0].matchExpressions[0]: operator "Equals": want In, NotIn, Exists or DoesNotExist`}},
		{"In without values", k8s("  ingress:\n    - from:\n        - podSelector:\n            matchExpressions: [{key: app, operator: In}]\n"),
			[]string{`bad.yaml:9: spec.ingress[0].from[0].podSelector.matchExpressions[0]: operator In needs at least one value`}},
		{"bad label key", doc("  egress:\n    - toEndpoints:\n        - matchLabels: {\"bad key\": x}\n"),
			[]string{`bad.yaml:8: spec.egress[0].toEndpoints[0].matchLabels: invalid label key "bad key": want [prefix/]name of letters, digits, '-', '_', '.'`}},
		{"ICMP type out of range", doc("  ingress:\n    - icmps: [{fields: [{type: 300}]}]\n"),
			[]string{`bad.yaml:7: spec.ingress[0].icmps[0].fields[0]: ICMP type 300 is out of range: want 0-255`}},
		{"ICMP type name", doc("  ingress:\n    - icmps:\n        - fields:\n            - {type: Ping, family: IPv4}\n"),
			[]string{`bad.yaml:9: spec.ingress[0].icmps[0].fields[0]: ICMP type "Ping": want 0-255 or one of DestinationUnreachable, Echo, EchoReply, EchoRequest, ExtendedEchoReply, ExtendedEchoRequest, ParameterProblem, Photuris, Redirect, RouterAdvertisement, RouterSelection, TimeExceeded, Timestamp, TimestampReply`}},
		{"ICMP family", doc("  ingress:\n    - icmps: [{fields: [{type: 8, family: IPv5}]}]\n"),
			[]string{`bad.yaml:7: spec.ingress[0].icmps[0].fields[0]: family "IPv5": want IPv4 or IPv6`}},
		{"unknown entity", doc("  ingress:\n    - fromEntities: [everyone]\n"),
			[]string{`bad.yaml:7: spec.ingress[0].fromEntities: unknown entity "everyone"; want world, host, cluster or all`}},
		{"unknown kind", "apiVersion: loupe.dev/v1\nkind: NetworkPolicyy\n",
			[]string{`bad.yaml:2: unknown kind "NetworkPolicyy"; want LoupeNetworkPolicy (apiVersion loupe.dev/v1) or NetworkPolicy (apiVersion networking.k8s.io/v1)`}},
		{"Cilium kind", "apiVersion: cilium.io/v2\nkind: CiliumNetworkPolicy\n",
			[]string{`bad.yaml:2: kind CiliumNetworkPolicy is not accepted as is; write apiVersion: loupe.dev/v1 and kind: LoupeNetworkPolicy, the spec vocabulary is the same`}},
		{"wrong apiVersion", "apiVersion: networking.k8s.io/v1\nkind: LoupeNetworkPolicy\nmetadata: {name: p}\nspec: {endpointSelector: {}}\n",
			[]string{`bad.yaml:1: apiVersion "networking.k8s.io/v1" does not go with kind LoupeNetworkPolicy; want loupe.dev/v1`}},
		{"missing name", "apiVersion: loupe.dev/v1\nkind: LoupeNetworkPolicy\nmetadata:\n  namespace: shop\nspec: {endpointSelector: {}}\n",
			[]string{`bad.yaml:4: metadata.name is required`}},
		{"missing endpointSelector", "apiVersion: loupe.dev/v1\nkind: LoupeNetworkPolicy\nmetadata: {name: p, namespace: shop}\nspec:\n  ingress: [{}]\n",
			[]string{`bad.yaml:5: spec.endpointSelector is required; write {} to select every endpoint in namespace shop`}},
		{"duplicate name in one file", doc("") + "---\n" + doc(""),
			[]string{`bad.yaml:7: duplicate policy shop/p: already defined at line 1`}},
		{"bad policyTypes", k8s("  policyTypes: [ingress]\n"),
			[]string{`bad.yaml:6: spec.policyTypes: "ingress": want Ingress or Egress`}},
		{"ipBlock with a selector", k8s("  ingress:\n    - from:\n        - ipBlock: {cidr: 10.0.0.0/8}\n          podSelector: {}\n"),
			[]string{`bad.yaml:8: spec.ingress[0].from[0]: ipBlock cannot be combined with podSelector or namespaceSelector`}},
		{"empty peer", k8s("  egress:\n    - to: [{}]\n"),
			[]string{`bad.yaml:7: spec.egress[0].to[0]: a peer needs podSelector, namespaceSelector or ipBlock`}},
		{"type error", doc("  audit: maybe\n"),
			[]string{"bad.yaml:6: cannot unmarshal !!str `maybe` into bool"}},
		{"syntax error", "apiVersion: loupe.dev/v1\nkind: [LoupeNetworkPolicy\n",
			[]string{`bad.yaml:2: did not find expected ',' or ']'`}},
		{"not a mapping", "- a\n- b\n",
			[]string{`bad.yaml:1: a policy document is a mapping with apiVersion, kind, metadata and spec`}},
		{"empty file", "# nothing\n",
			[]string{`bad.yaml: no policies in file; want documents of kind LoupeNetworkPolicy or NetworkPolicy`}},
		{"every problem of a file at once", doc("  ingress:\n    - toPorts: [{ports: [{port: \"0\"}]}]\n      fromCIDR: [nope]\n") + "---\nkind: Foo\n",
			[]string{
				`bad.yaml:7: spec.ingress[0].toPorts[0].ports[0]: port 0 is out of range: want 1-65535 (leave port out to match every port)`,
				`bad.yaml:8: invalid CIDR "nope": want an address with a prefix length, like 10.0.0.0/8 or fd00::/64`,
				`bad.yaml:10: unknown kind "Foo"; want LoupeNetworkPolicy (apiVersion loupe.dev/v1) or NetworkPolicy (apiVersion networking.k8s.io/v1)`,
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ps, err := Parse("bad.yaml", []byte(tt.yaml))
			if err == nil {
				t.Fatalf("accepted: %d policies", len(ps))
			}
			if !errors.Is(err, ErrInvalidPolicy) {
				t.Errorf("error %v does not match ErrInvalidPolicy", err)
			}
			if ps != nil {
				t.Errorf("refused file returned %d policies", len(ps))
			}
			if diff := cmp.Diff(strings.Split(err.Error(), "\n"), tt.want); diff != "" {
				t.Errorf("error (-got +want):\n%s", diff)
			}
		})
	}
}

func TestParseFiles(t *testing.T) {
	dir := t.TempDir()
	write := func(name, data string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	a := write("a.yaml", doc(""))
	b := write("b.yml", k8s(""))
	write("notes.txt", "not a policy")

	_, err := ParseFiles(a, b)
	want := b + `:1: duplicate policy shop/p: already defined at ` + a + `:1`
	if err == nil || err.Error() != want {
		t.Errorf("duplicate across files: got %v, want %s", err, want)
	}
	if _, err := ParseFiles(dir); err == nil || !strings.Contains(err.Error(), "duplicate policy shop/p") {
		t.Errorf("a directory is its YAML files: got %v", err)
	}
	if err := os.Remove(a); err != nil {
		t.Fatal(err)
	}
	_, err = ParseFiles(a)
	if !errors.Is(err, ErrInvalidPolicy) || !strings.HasPrefix(err.Error(), a+": read policies: ") {
		t.Errorf("missing file: got %v", err)
	}
	ps, err := ParseFiles(dir)
	if err != nil || len(ps) != 1 || ps[0].File != filepath.Join(dir, "b.yml") {
		t.Errorf("ParseFiles(dir) = %v, %v; want the one policy of b.yml", ps, err)
	}
}

func TestParseDemoPolicies(t *testing.T) {
	ps, err := ParseFiles("../../deploy/lab/policies/shop.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var kinds [2]int
	for _, p := range ps {
		kinds[p.Kind]++
	}
	if kinds[KindLoupe] == 0 || kinds[KindKubernetes] == 0 {
		t.Errorf("demo policies: %d native and %d Kubernetes, want both", kinds[KindLoupe], kinds[KindKubernetes])
	}
}

// FuzzParse: any bytes parse or are refused with a ParseError; never a
// panic, and a refusal always names the file.
func FuzzParse(f *testing.F) {
	f.Add([]byte(validFile))
	f.Add([]byte(doc("  ingress:\n    - toPorts: [{ports: [{port: \"80\", endPort: 90}]}]\n")))
	f.Add([]byte(k8s("  egress:\n    - to: [{ipBlock: {cidr: 10.0.0.0/8, except: [10.1.0.0/16]}}]\n")))
	f.Add([]byte("a: &a [*a, *a]\n"))
	f.Add([]byte("---\n---\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		ps, err := Parse("fuzz.yaml", data)
		if err != nil {
			var pe *ParseError
			if !errors.As(err, &pe) || len(pe.Problems) == 0 {
				t.Fatalf("error is not a ParseError with problems: %v", err)
			}
			for _, p := range pe.Problems {
				if p.File != "fuzz.yaml" {
					t.Fatalf("problem without the file: %+v", p)
				}
			}
			return
		}
		if _, err := Resolve(ps, nil, nil, &memAllocator{next: 256, ids: map[string]uint32{}}); err != nil {
			t.Fatalf("parsed policies do not resolve: %v", err)
		}
	})
}
