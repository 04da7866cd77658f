package policy

import (
	"net/netip"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/loupe-dev/loupe/api/labels"
)

// TestDecide pins the lookup order the datapath follows, entry by entry.
func TestDecide(t *testing.T) {
	allow := in("p/allow", 0, 300, ProtoTCP, 80, 90)
	denyTCP := deny(in("p/deny", 0, 300, ProtoTCP, 85, 85))
	auditDeny := audit(deny(in("p/audit", 0, 300, ProtoTCP, 80, 80)))
	auditAllow := audit(in("p/audit", 1, 301, 0, 0, 0))
	anyPort := in("p/any", 0, 302, ProtoUDP, 0, 0)
	echoReply := in("p/icmp", 0, 0, ProtoICMP, 0, 0)
	l3 := in("p/l3", 0, 303, ProtoAny, 0, 0)
	egress := out("p/out", 0, 300, 0, 0, 0)
	entries := normalize([]Entry{allow, denyTCP, auditDeny, auditAllow, anyPort, echoReply, l3, egress})

	enforced := EndpointPolicy{IngressEnforced: true, Entries: entries}
	auditOnly := EndpointPolicy{IngressEnforced: true, IngressAudit: true, Entries: entries}
	open := EndpointPolicy{Entries: entries}

	tests := []struct {
		name   string
		ep     EndpointPolicy
		dir    Direction
		remote uint32
		proto  uint8
		port   uint16
		want   Outcome
		by     *Entry
	}{
		{"allow in range", enforced, Ingress, 300, ProtoTCP, 90, Allowed, &allow},
		{"out of range: default deny", enforced, Ingress, 300, ProtoTCP, 91, Denied, nil},
		{"deny beats allow", enforced, Ingress, 300, ProtoTCP, 85, Denied, &denyTCP},
		{"deny beats allow when not enforced", open, Ingress, 300, ProtoTCP, 85, Denied, &denyTCP},
		{"audit deny over an enforced allow: AUDIT", enforced, Ingress, 300, ProtoTCP, 80, Audited, &auditDeny},
		{"audit deny never opens a default deny", enforced, Ingress, 300, ProtoSCTP, 80, Denied, nil},
		{"audit allow does not open an enforced default deny", enforced, Ingress, 301, ProtoTCP, 22, Denied, nil},
		{"audit allow under audit-only enforcement", auditOnly, Ingress, 301, ProtoTCP, 22, Allowed, &auditAllow},
		{"audit-only default: AUDIT", auditOnly, Ingress, 999, ProtoTCP, 22, Audited, nil},
		{"not enforced: default allow", open, Ingress, 999, ProtoTCP, 22, Allowed, nil},
		{"0,0 is every port", enforced, Ingress, 302, ProtoUDP, 65535, Allowed, &anyPort},
		{"wrong protocol", enforced, Ingress, 302, ProtoTCP, 53, Denied, nil},
		{"ICMP 0,0 is type 0, not every type", enforced, Ingress, 7, ProtoICMP, 0, Allowed, &echoReply},
		{"ICMP type 8 is not type 0", enforced, Ingress, 7, ProtoICMP, 8, Denied, nil},
		{"L3 entry matches ICMP too", enforced, Ingress, 303, ProtoICMPv6, 128, Allowed, &l3},
		{"other direction's entries do not count", enforced, Egress, 300, ProtoTCP, 85, Allowed, &egress},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := Decide(tt.ep, tt.dir, tt.remote, tt.proto, tt.port)
			if diff := cmp.Diff(d, Decision{Outcome: tt.want, Entry: tt.by}); diff != "" {
				t.Errorf("Decide (-got +want):\n%s", diff)
			}
		})
	}
}

// TestExplainReasons pins the sentences explain prints.
func TestExplainReasons(t *testing.T) {
	ps, err := ParseFiles("../../deploy/lab/policies/shop.yaml")
	if err != nil {
		t.Fatal(err)
	}
	shop := func(s ...string) Party {
		return Party{Labels: append(labels.Set{"loupe.namespace=shop"}, s...)}
	}
	tests := []struct {
		name     string
		from, to Party
		proto    uint8
		port     uint16
		want     Outcome
		egress   string
		ingress  string
	}{
		{"frontend to db: deny wins", shop("app=frontend", "tier=web"), shop("app=db", "tier=data"), ProtoTCP, 5432, Denied,
			"audit: default deny: audit policy shop/frontend-egress selects shop/{app=frontend,tier=web} for egress but no rule allows to shop/{app=db,tier=data} on 5432/TCP",
			"denied by shop/no-frontend-to-db ingressDeny[0]"},
		{"frontend to catalog on 8080", shop("app=frontend", "tier=web"), shop("app=catalog", "tier=api"), ProtoTCP, 8080, Allowed,
			"allowed by shop/frontend-egress egress[0] (audit policy)",
			"allowed by shop/api-from-frontend ingress[0]"},
		{"frontend to catalog on 9999", shop("app=frontend", "tier=web"), shop("app=catalog", "tier=api"), ProtoTCP, 9999, Denied,
			"audit: default deny: audit policy shop/frontend-egress selects shop/{app=frontend,tier=web} for egress but no rule allows to shop/{app=catalog,tier=api} on 9999/TCP",
			"default deny: shop/api-from-frontend selects shop/{app=catalog,tier=api} for ingress but no rule allows from shop/{app=frontend,tier=web} on 9999/TCP"},
		{"frontend pings catalog", shop("app=frontend", "tier=web"), shop("app=catalog", "tier=api"), ProtoICMP, 8, Allowed,
			"allowed by shop/frontend-egress egress[0] (audit policy)",
			"allowed by shop/api-from-frontend ingress[0]"},
		{"frontend to the world: audited", shop("app=frontend", "tier=web"), Party{Addr: netip.MustParseAddr("8.8.8.8")}, ProtoTCP, 443, Audited,
			"audit: default deny: audit policy shop/frontend-egress selects shop/{app=frontend,tier=web} for egress but no rule allows to 8.8.8.8 on 443/TCP",
			"8.8.8.8 is not a local endpoint: nothing enforces its ingress"},
		{"cart to DNS", shop("app=cart", "tier=api"), Party{Labels: labels.Set{"app=dns", "loupe.namespace=infra"}}, ProtoUDP, 53, Allowed,
			"default allow: no policy selects shop/{app=cart,tier=api} for egress",
			"allowed by infra/dns-from-everyone ingress[0]"},
		{"metrics pings db over IPv6", Party{Labels: labels.Set{"app=metrics", "loupe.namespace=infra"}}, shop("app=db", "tier=data"), ProtoICMPv6, 128, Allowed,
			"allowed by infra/metrics egress[0]",
			"allowed by shop/db-from-api ingress[1]"},
		{"host to db", Party{Entity: EntityHost}, shop("app=db", "tier=data"), ProtoTCP, 5432, Denied,
			"host is not a local endpoint: nothing enforces its egress",
			"default deny: shop/db-from-api, shop/no-frontend-to-db select shop/{app=db,tier=data} for ingress but no rule allows from host on 5432/TCP"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, _, err := WhatIf(ps, tt.from, tt.to, tt.proto, tt.port)
			if err != nil {
				t.Fatal(err)
			}
			got := []string{v.Outcome.String(), v.Egress.Reason, v.Ingress.Reason}
			if diff := cmp.Diff(got, []string{tt.want.String(), tt.egress, tt.ingress}); diff != "" {
				t.Errorf("WhatIf (-got +want):\n%s", diff)
			}
		})
	}
}

func TestWhatIfRefusesBadParties(t *testing.T) {
	for _, p := range []Party{
		{},
		{Labels: labels.Set{"app=db"}},
		{Entity: EntityAll},
		{Entity: EntityHost, Addr: netip.MustParseAddr("10.0.0.1")},
	} {
		if _, _, err := WhatIf(nil, p, Party{Entity: EntityWorld}, ProtoTCP, 80); err == nil {
			t.Errorf("WhatIf accepted party %+v", p)
		}
	}
}
