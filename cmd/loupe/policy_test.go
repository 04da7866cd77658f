package main

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const shopPolicies = "../../deploy/lab/policies/shop.yaml"

// runPolicy runs `loupe policy ARGS` in process and returns its output and
// error.
func runPolicy(t *testing.T, args ...string) (string, error) {
	t.Helper()
	cmd := newPolicyCmd()
	wrapArgs(cmd)
	var out bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetErr(&out)
	cmd.SetArgs(args)
	cmd.SilenceUsage, cmd.SilenceErrors = true, true
	err := cmd.Execute()
	return out.String(), err
}

func isUsage(err error) bool {
	var ue *usageError
	return errors.As(err, &ue)
}

func TestPolicyValidate(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(bad, []byte(`apiVersion: loupe.dev/v1
kind: LoupeNetworkPolicy
metadata: {name: db, namespace: shop}
spec:
  endpointSelector: {matchLabels: {app: db}}
  ingress:
    - toPorts: [{ports: [{port: "70000"}]}]
      fromCIDR: [10.0.0.0/40]
`), 0o644); err != nil {
		t.Fatal(err)
	}

	out, err := runPolicy(t, "validate", shopPolicies)
	if err != nil || out != shopPolicies+": 6 policies OK\n" {
		t.Errorf("validate shop: %q, %v", out, err)
	}

	out, err = runPolicy(t, "validate", shopPolicies, bad)
	if !isUsage(err) {
		t.Fatalf("validate bad: error %v is not a usage error (exit 2)", err)
	}
	if out != shopPolicies+": 6 policies OK\n" {
		t.Errorf("validate bad: output %q", out)
	}
	want := []string{
		bad + `:7: spec.ingress[0].toPorts[0].ports[0]: port 70000 is out of range: want 1-65535`,
		bad + `:8: invalid CIDR "10.0.0.0/40": want an address with a prefix length, like 10.0.0.0/8 or fd00::/64`,
	}
	if diff := cmp.Diff(strings.Split(err.Error(), "\n"), want); diff != "" {
		t.Errorf("validate bad (-got +want):\n%s", diff)
	}

	// Sound alone, refused together: a policy defined twice.
	_, err = runPolicy(t, "validate", shopPolicies, shopPolicies)
	if !isUsage(err) || !strings.Contains(err.Error(), "duplicate policy shop/api-from-frontend") {
		t.Errorf("validate twice: %v", err)
	}

	if _, err := runPolicy(t, "validate"); !isUsage(err) {
		t.Errorf("validate without files: %v", err)
	}
}

func TestPolicyExplain(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{{
		name: "deny wins",
		args: []string{"--from", "app=frontend,tier=web", "--from-namespace", "shop", "--to", "app=db,tier=data,loupe.namespace=shop", "--port", "5432/tcp"},
		want: `DENIED: shop/{app=frontend,tier=web} -> shop/{app=db,tier=data}
  egress  AUDIT   audit: default deny: audit policy shop/frontend-egress selects shop/{app=frontend,tier=web} for egress but no rule allows to shop/{app=db,tier=data} on 5432/TCP
  ingress DENIED  denied by shop/no-frontend-to-db ingressDeny[0] (` + shopPolicies + `:68)
`,
	}, {
		name: "allowed by a Kubernetes NetworkPolicy, from another namespace",
		args: []string{"--from", "app=cart,tier=api", "--from-namespace", "shop", "--to", "app=dns", "--to-namespace", "infra", "--port", "53/udp"},
		want: `ALLOWED: shop/{app=cart,tier=api} -> infra/{app=dns}
  egress  ALLOWED default allow: no policy selects shop/{app=cart,tier=api} for egress
  ingress ALLOWED allowed by infra/dns-from-everyone ingress[0] (` + shopPolicies + `:109)
`,
	}, {
		name: "ICMP from an address outside the cluster",
		args: []string{"--from", "203.0.113.9", "--to", "app=catalog,tier=api,loupe.namespace=shop", "--port", "8/icmp"},
		want: `DENIED: 203.0.113.9 -> shop/{app=catalog,tier=api}
  egress  -       203.0.113.9 is not a local endpoint: nothing enforces its egress
  ingress DENIED  default deny: shop/api-from-frontend selects shop/{app=catalog,tier=api} for ingress but no rule allows from 203.0.113.9 with ICMP type 8
`,
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := runPolicy(t, append([]string{"explain", "--policies", shopPolicies}, tt.args...)...)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(out, tt.want); diff != "" {
				t.Errorf("explain (-got +want):\n%s", diff)
			}
		})
	}
}

func TestPolicyExplainBadInput(t *testing.T) {
	base := []string{"explain", "--policies", shopPolicies, "--from", "app=a", "--to", "app=b"}
	tests := []struct {
		args []string
		want string
	}{
		{append(base, "--port", "5432/http"), `--port "5432/http": protocol "http": want tcp, udp, sctp, icmp or icmpv6`},
		{append(base, "--port", "0/tcp"), `--port "0/tcp": want a number in 1-65535`},
		{append(base, "--port", "256/icmp"), `--port "256/icmp": want a number in 0-255`},
		{base, "--port is required: PORT[/PROTO], like 5432/tcp or 8/icmp"},
		{[]string{"explain", "--policies", shopPolicies, "--from", "app", "--to", "world", "--port", "80"}, `--from "app": want k=v[,k=v], world, host or an address`},
		{[]string{"explain", "--policies", shopPolicies, "--to", "world", "--port", "80"}, "--from is required: labels (app=db), world, host or an address"},
		{[]string{"explain", "--policies", shopPolicies, "--from", "app=a,loupe.namespace=x", "--from-namespace", "y", "--to", "world", "--port", "80"},
			"--from says loupe.namespace=x but --from-namespace says y"},
		{[]string{"explain", "--from", "app in (a", "--to", "world", "--port", "80"}, `--from: label selector "app in (a": "app in (a": want in (v1,v2)`},
		{[]string{"explain", "--policies", "/nonexistent.yaml", "--from", "app=a", "--to", "world", "--port", "80"}, "/nonexistent.yaml: read policies: no such file or directory"},
	}
	for _, tt := range tests {
		_, err := runPolicy(t, tt.args...)
		if !isUsage(err) || err.Error() != tt.want {
			t.Errorf("%q: got %v (usage error: %v), want %s", tt.args, err, isUsage(err), tt.want)
		}
	}
}
