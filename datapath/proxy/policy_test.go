package proxy

import (
	"net/http"
	"slices"
	"testing"

	"github.com/loupe-dev/loupe/datapath/policy"
)

func httpGrant(t *testing.T, name, method, path string) policy.L7Grant {
	t.Helper()
	r, err := policy.NewHTTPRule(policy.HTTPRule{Method: method, Path: path})
	if err != nil {
		t.Fatal(err)
	}
	return policy.L7Grant{Policy: name, Rules: &policy.L7Rules{HTTP: []policy.HTTPRule{r}}}
}

func TestPolicyNeedsEveryDirection(t *testing.T) {
	egress := &policy.L7Set{Grants: []policy.L7Grant{httpGrant(t, "shop/out", "GET", "/.*")}}
	ingress := &policy.L7Set{Grants: []policy.L7Grant{httpGrant(t, "shop/in", "GET|POST", "/products")}}
	for _, c := range []struct {
		name         string
		p            *Policy
		method, path string
		allowed      bool
		policies     []string
	}{
		{"both allow", &Policy{Egress: egress, Ingress: ingress}, "GET", "/products", true, []string{"shop/out", "shop/in"}},
		{"egress denies", &Policy{Egress: egress, Ingress: ingress}, "POST", "/products", false, []string{"shop/out"}},
		{"ingress denies", &Policy{Egress: egress, Ingress: ingress}, "GET", "/cart", false, []string{"shop/in"}},
		{"ingress only", &Policy{Ingress: ingress}, "POST", "/products", true, []string{"shop/in"}},
		{"visibility", AllowAll(), "DELETE", "/anything", true, nil},
	} {
		v := c.p.HTTP(c.method, "catalog", c.path, http.Header{})
		if v.Allowed != c.allowed || !slices.Equal(v.Policies, c.policies) {
			t.Errorf("%s: %+v, want allowed %v by %v", c.name, v, c.allowed, c.policies)
		}
	}
}

func TestAppendPoliciesKeepsOrderOnce(t *testing.T) {
	got := AppendPolicies([]string{"a"}, "b", "a", "c", "b")
	if !slices.Equal(got, []string{"a", "b", "c"}) {
		t.Fatalf("%v", got)
	}
}
