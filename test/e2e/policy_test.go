package e2e

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

const shopPolicies = "../../deploy/lab/policies/shop.yaml"

var revisionRe = regexp.MustCompile(`revision (\d+) enforced`)

// applyPolicy applies a file and returns the revision the agent enforces.
func applyPolicy(t testing.TB, a *agentProc, file string) string {
	t.Helper()
	out := loupe(t, "policy", "apply", file, "--server", a.server())
	m := revisionRe.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("policy apply printed no revision: %q", out)
	}
	return m[1]
}

func policyRevision(t testing.TB, a *agentProc) string {
	t.Helper()
	out := loupe(t, "policy", "list", "--server", a.server())
	first, _, _ := strings.Cut(out, "\n")
	return strings.TrimPrefix(first, "revision ")
}

// echo sends a line over an echo connection and waits for it back.
func echo(c net.Conn, r *bufio.Reader, msg string) error {
	c.SetDeadline(time.Now().Add(2 * time.Second))
	if _, err := fmt.Fprintln(c, msg); err != nil {
		return err
	}
	got, err := r.ReadString('\n')
	if err != nil {
		return err
	}
	if strings.TrimSpace(got) != msg {
		return fmt.Errorf("echo returned %q, want %q", got, msg)
	}
	return nil
}

// TestEnforcementSurvivesAgentCrash: with the shop policies enforced, kill -9
// the agent. The established catalog->db connection keeps working, the
// denied frontend->db stays denied while the agent is down, and the
// restarted agent adopts the pinned state: same connection, same verdicts.
func TestEnforcementSurvivesAgentCrash(t *testing.T) {
	a := newAgent(t, "e2e-policy-restart")
	a.start()
	l := labUp(t, a)
	ips, nss := addrs(t, l), netnsOf(l)
	applyPolicy(t, a, shopPolicies)

	db := net.JoinHostPort(ips["db"][0], "5432")
	conn, err := dialIn(t, nss["catalog"], "tcp", db, 2*time.Second)
	if err != nil {
		t.Fatalf("catalog -> db (allowed) failed: %v", err)
	}
	defer conn.Close()
	r := bufio.NewReader(conn)
	if err := echo(conn, r, "before"); err != nil {
		t.Fatal(err)
	}
	denied := func(when string) {
		t.Helper()
		if c, err := dialIn(t, nss["frontend"], "tcp", db, 500*time.Millisecond); err == nil {
			c.Close()
			t.Fatalf("%s: frontend -> db connected; the policy denies it", when)
		}
	}
	denied("agent up")

	a.kill()
	if err := echo(conn, r, "agent down"); err != nil {
		t.Fatalf("established connection broke while the agent was down: %v", err)
	}
	denied("agent down")
	if c, err := dialIn(t, nss["cart"], "tcp", db, 2*time.Second); err != nil {
		t.Fatalf("cart -> db (allowed) failed while the agent was down: %v", err)
	} else {
		c.Close()
	}

	a.start()
	if err := echo(conn, r, "agent back"); err != nil {
		t.Fatalf("established connection broke across the restart: %v", err)
	}
	denied("agent restarted")
	if got := policyRevision(t, a); got == "0" || got == "" {
		t.Fatalf("restarted agent enforces revision %q", got)
	}
	drops := flowsOf(observeJSON(t, a, "--since", "1m", "--type", "drop", "--to-workload", "db"))
	if len(drops) == 0 {
		t.Fatal("no drop flows for frontend -> db after the restart")
	}
	for _, f := range drops {
		if f.GetDropReason().String() != "POLICY_DENY" || len(f.GetPolicyNames()) == 0 {
			t.Fatalf("drop without reason or policy name: %v", f)
		}
	}
}

// TestBadPolicyChangesNothing: a policy file that does not parse is refused
// whole with file, line and reason; the enforced revision does not change.
func TestBadPolicyChangesNothing(t *testing.T) {
	a := newAgent(t, "e2e-policy-bad")
	a.start()
	labUp(t, a)
	before := applyPolicy(t, a, shopPolicies)
	dir := t.TempDir()
	good, err := os.ReadFile(shopPolicies)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct{ name, body, want string }{
		{"unknown field", strings.Replace(string(good), "endpointSelector:", "endpointSelectr:", 1), "bad.yaml:"},
		{"bad cidr", "apiVersion: loupe.dev/v1\nkind: LoupeNetworkPolicy\nmetadata: {name: x, namespace: shop}\nspec:\n  endpointSelector: {}\n  egress:\n    - toCIDR: [10.0.0.0/33]\n", "bad.yaml:7"},
		{"port out of range", "apiVersion: loupe.dev/v1\nkind: LoupeNetworkPolicy\nmetadata: {name: x, namespace: shop}\nspec:\n  endpointSelector: {}\n  ingress:\n    - toPorts:\n        - ports: [{port: \"70000\", protocol: TCP}]\n", "bad.yaml:8"},
		{"bad selector", "apiVersion: loupe.dev/v1\nkind: LoupeNetworkPolicy\nmetadata: {name: x, namespace: shop}\nspec:\n  endpointSelector:\n    matchExpressions: [{key: app, operator: Near, values: [a]}]\n", "bad.yaml:6"},
		{"not yaml", "this: is: not: yaml: [", "bad.yaml:1"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			file := filepath.Join(dir, "bad.yaml")
			if err := os.WriteFile(file, []byte(c.body), 0o644); err != nil {
				t.Fatal(err)
			}
			_, code, stderr := loupeCode(t, "policy", "apply", file, "--server", a.server())
			if code != 2 || !strings.Contains(stderr, c.want) {
				t.Errorf("exit %d, stderr %q; want exit 2 naming %q", code, stderr, c.want)
			}
			if got := policyRevision(t, a); got != before {
				t.Errorf("revision %s after a refused file, was %s", got, before)
			}
		})
	}
}
