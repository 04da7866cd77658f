package policy

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"testing"

	"github.com/loupe-dev/loupe/api/labels"
)

// The fixed world of the resolution tests: the demo lab's workloads in two
// namespaces, plus an identity of another namespace with no local endpoint.
var (
	testEndpoints = []Endpoint{
		{ID: 1, Identity: 256, Namespace: "shop", Labels: labels.Set{"app=frontend", "loupe.namespace=shop", "tier=web"}},
		{ID: 2, Identity: 257, Namespace: "shop", Labels: labels.Set{"app=catalog", "loupe.namespace=shop", "tier=api"}},
		{ID: 3, Identity: 258, Namespace: "shop", Labels: labels.Set{"app=cart", "loupe.namespace=shop", "tier=api"}},
		{ID: 4, Identity: 259, Namespace: "shop", Labels: labels.Set{"app=db", "loupe.namespace=shop", "tier=data"}},
		{ID: 5, Identity: 260, Namespace: "infra", Labels: labels.Set{"app=dns", "loupe.namespace=infra"}},
		{ID: 6, Identity: 261, Namespace: "infra", Labels: labels.Set{"app=metrics", "loupe.namespace=infra"}},
	}
	testIdentities = []Identity{
		{ID: Host, Labels: labels.Set{"reserved:host"}},
		{ID: World, Labels: labels.Set{"reserved:world"}},
		{ID: 256, Labels: testEndpoints[0].Labels},
		{ID: 257, Labels: testEndpoints[1].Labels},
		{ID: 258, Labels: testEndpoints[2].Labels},
		{ID: 259, Labels: testEndpoints[3].Labels},
		{ID: 260, Labels: testEndpoints[4].Labels},
		{ID: 261, Labels: testEndpoints[5].Labels},
		{ID: 270, Labels: labels.Set{"app=frontend", "loupe.namespace=staging", "tier=web"}},
	}
	// testNames names the fixture's endpoints for scenarios.
	testNames = map[string]uint16{"frontend": 1, "catalog": 2, "cart": 3, "db": 4, "dns": 5, "metrics": 6}
)

// fakeAllocator numbers label sets from 1000 in the order asked, and
// remembers what it was asked.
type fakeAllocator struct {
	ids   map[string]uint32
	asked []string
}

func (a *fakeAllocator) Acquire(s labels.Set) (uint32, error) {
	if a.ids == nil {
		a.ids = map[string]uint32{}
	}
	a.asked = append(a.asked, s.String())
	if id, ok := a.ids[s.String()]; ok {
		return id, nil
	}
	id := uint32(1000 + len(a.ids))
	a.ids[s.String()] = id
	return id, nil
}

// peer names a side of a scenario's connection: a fixture endpoint, the
// remote "staging/frontend", "world", "host" or an address.
func peer(t *testing.T, res *Result, name string) Peer {
	t.Helper()
	if id, ok := testNames[name]; ok {
		for _, ep := range testEndpoints {
			if ep.ID == id {
				return Peer{Name: ep.Namespace + "/" + name, Local: true, Endpoint: id, Identity: ep.Identity}
			}
		}
	}
	switch name {
	case "staging/frontend":
		return Peer{Name: name, Identity: 270}
	case "world":
		return Peer{Name: name, Identity: World}
	case "host":
		return Peer{Name: name, Identity: Host}
	}
	a, err := netip.ParseAddr(name)
	if err != nil {
		t.Fatalf("unknown peer %q", name)
	}
	return Peer{Name: name, Identity: res.IdentityOf(a)}
}

// l4 reads "5432/tcp", "8/icmp", "any".
func l4(t *testing.T, s string) (uint8, uint16) {
	t.Helper()
	if s == "any" {
		return ProtoAny, 0
	}
	num, name, _ := strings.Cut(s, "/")
	n, err := strconv.Atoi(num)
	protos := map[string]uint8{"tcp": ProtoTCP, "udp": ProtoUDP, "sctp": ProtoSCTP, "icmp": ProtoICMP, "icmpv6": ProtoICMPv6}
	p, ok := protos[name]
	if err != nil || !ok {
		t.Fatalf("bad l4 %q", s)
	}
	return p, uint16(n)
}

// Entry constructors keep the expectations readable.
func in(pol string, rule int, remote uint32, proto uint8, lo, hi uint16) Entry {
	return Entry{Direction: Ingress, RemoteIdentity: remote, Proto: proto, PortLo: lo, PortHi: hi, Policy: pol, Rule: rule}
}

func out(pol string, rule int, remote uint32, proto uint8, lo, hi uint16) Entry {
	e := in(pol, rule, remote, proto, lo, hi)
	e.Direction = Egress
	return e
}

func deny(e Entry) Entry  { e.Deny = true; return e }
func audit(e Entry) Entry { e.Audit = true; return e }

// each repeats an entry for several remote identities.
func each(e Entry, remotes ...uint32) []Entry {
	out := make([]Entry, len(remotes))
	for i, r := range remotes {
		out[i] = e
		out[i].RemoteIdentity = r
	}
	return out
}

func cat(parts ...any) []Entry {
	var out []Entry
	for _, p := range parts {
		switch v := p.(type) {
		case Entry:
			out = append(out, v)
		case []Entry:
			out = append(out, v...)
		default:
			panic(fmt.Sprintf("cat: %T", p))
		}
	}
	return out
}

// native wraps a spec into a LoupeNetworkPolicy document.
func native(ns, name, spec string) string {
	meta := "{name: " + name + ", namespace: " + ns + "}"
	if ns == "" {
		meta = "{name: " + name + "}"
	}
	return "apiVersion: loupe.dev/v1\nkind: LoupeNetworkPolicy\nmetadata: " + meta + "\nspec:\n" + spec + "\n---\n"
}

// netpol wraps a spec into a Kubernetes NetworkPolicy document.
func netpol(ns, name, spec string) string {
	return "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: " + name + ", namespace: " + ns + "}\nspec:\n" + spec + "\n---\n"
}
