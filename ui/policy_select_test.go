package ui

import (
	"slices"
	"testing"
)

func TestPoliciesInReason(t *testing.T) {
	for reason, want := range map[string][]string{
		"default deny: shop/db-from-api selects shop/db for ingress but no rule allows from world on 1/TCP": {"shop/db-from-api"},
		"default deny: a/x, a/y select a/z for egress but no rule allows to world on 1/TCP":                 {"a/x", "a/y"},
		"audit: default deny: audit policy shop/frontend-egress selects shop/frontend for egress but ...":   {"shop/frontend-egress"},
		"denied by shop/no-frontend-to-db ingressDeny[0]":                                                   {"shop/no-frontend-to-db"},
		"allowed by shop/api-from-frontend ingress[0]":                                                      {"shop/api-from-frontend"},
		"default allow: no policy selects shop/frontend for ingress":                                        nil,
	} {
		if got := policiesInReason(reason); !slices.Equal(got, want) {
			t.Errorf("%q: got %q, want %q", reason, got, want)
		}
	}
}
