package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/loupe-dev/loupe/internal/testutil"
)

// TestBadInputExitsTwo: what a person mistypes is refused with exit code 2,
// a message naming the problem, and no change to the machine.
func TestBadInputExitsTwo(t *testing.T) {
	testutil.RequireRoot(t)
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	dup := write("dup.yaml", `name: e2ebad
ipv4Pool: 10.250.0.0/24
ipv6Pool: fd00:250::/112
workloads:
  - {name: a, namespace: x, labels: {app: a}}
  - {name: a, namespace: x, labels: {app: b}}
`)
	badPrefix := write("prefix.yaml", `name: e2ebad
ipv4Pool: 10.250.0.0/33
ipv6Pool: fd00:250::/112
workloads:
  - {name: a, namespace: x, labels: {app: a}}
`)
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"unknown flag", []string{"observe", "--frobnicate"}, "--frobnicate"},
		{"bad cidr", []string{"observe", "--to-ip", "10.0.0.0/33"}, "10.0.0.0/33"},
		{"bad label selector", []string{"observe", "--from-label", "app in (a"}, "app in (a"},
		{"bad time", []string{"observe", "--since", "yesterdayish"}, "yesterdayish"},
		{"duplicate workload", []string{"lab", "up", "--topology", dup, "--no-register", "--state-dir", filepath.Join(dir, "lab")}, "dup.yaml:6"},
		{"bad prefix", []string{"lab", "up", "--topology", badPrefix, "--no-register", "--state-dir", filepath.Join(dir, "lab")}, "prefix.yaml:2"},
		{"unknown metric", []string{"agent", "--metrics", "flows", "--state-dir", filepath.Join(dir, "state")}, "--metrics"},
		{"unknown metric context", []string{"agent", "--metrics", "drop:sourceContext=pod", "--state-dir", filepath.Join(dir, "state")}, "--metrics"},
		{"metrics series cap", []string{"agent", "--metrics-series-cap", "0", "--state-dir", filepath.Join(dir, "state")}, "--metrics-series-cap"},
		{"metrics port", []string{"agent", "--metrics-ports", "70000", "--state-dir", filepath.Join(dir, "state")}, "--metrics-ports"},
		{"agent metrics address", []string{"agent", "--metrics-listen", "nohost:99999", "--state-dir", filepath.Join(dir, "state")}, "--metrics-listen"},
		{"relay metrics address", []string{"relay", "--peers", "a=127.0.0.1:1", "--listen", "127.0.0.1:0", "--metrics-listen", "256.0.0.1:9966"}, "--metrics-listen"},
		{"bpf root not on bpffs", []string{"agent", "--bpf-root", filepath.Join(dir, "notbpf"), "--state-dir", filepath.Join(dir, "state"), "--socket", filepath.Join(dir, "s.sock"), "--listen", ""}, "bpf filesystem"},
	}
	before := namespaces(t)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, code, stderr := loupeCode(t, c.args...)
			if code != 2 {
				t.Errorf("exit %d, want 2; stderr: %s", code, stderr)
			}
			if !strings.Contains(stderr, c.want) {
				t.Errorf("stderr %q does not name %q", stderr, c.want)
			}
		})
	}
	if after := namespaces(t); len(after) != len(before) {
		t.Errorf("bad input changed the network namespaces: %v -> %v", before, after)
	}

	t.Run("agent without root", func(t *testing.T) {
		cmd := exec.Command(loupeBin, "agent", "--state-dir", filepath.Join(dir, "nobody"), "--socket", "", "--listen", "127.0.0.1:0")
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
		out, err := cmd.CombinedOutput()
		ee, ok := err.(*exec.ExitError)
		if !ok || ee.ExitCode() != 2 {
			t.Fatalf("agent as nobody: %v, want exit 2; output: %s", err, out)
		}
		if !strings.Contains(string(out), "needs root") {
			t.Errorf("agent as nobody does not say root is missing: %s", out)
		}
	})
}

// namespaces lists the named network namespaces.
func namespaces(t *testing.T) []string {
	t.Helper()
	entries, err := os.ReadDir("/run/netns")
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}
