package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/loupe-dev/loupe/internal/testutil"

	"github.com/loupe-dev/loupe/deploy/lab"
)

// labHelperEnv makes TestLabHelperProcess act as the loupe binary, so that
// these tests run the CLI as a separate process (exit codes, `lab exec`
// replacing the process, servers that outlive `lab up`) without a build.
const labHelperEnv = "LOUPE_LAB_HELPER"

// TestLabHelperProcess is not a test: it is the loupe command line when
// labHelperEnv is set, with the arguments after "--".
func TestLabHelperProcess(t *testing.T) {
	if os.Getenv(labHelperEnv) != "1" {
		return
	}
	i := slices.Index(os.Args, "--")
	if i < 0 {
		fmt.Fprintln(os.Stderr, "helper: no -- in arguments")
		os.Exit(3)
	}
	exe, err := os.Executable()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(3)
	}
	labServeCommand = func() (lab.ServeCommand, error) {
		return lab.ServeCommand{
			Path: exe,
			Args: []string{"-test.run=^TestLabHelperProcess$", "--", "lab", "serve"},
			Env:  []string{labHelperEnv + "=1"},
		}, nil
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[i+1:])
	stop()
	os.Exit(code)
}

// loupe runs the CLI in a helper process and returns its output and exit code.
func loupe(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], append([]string{"-test.run=^TestLabHelperProcess$", "--"}, args...)...)
	cmd.Env = append(os.Environ(), labHelperEnv+"=1")
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee):
		code = ee.ExitCode()
	default:
		t.Fatalf("run loupe %v: %v", args, err)
	}
	return out.String(), errb.String(), code
}

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestLabBadInput: what the user got wrong exits 2, says where, and
// creates nothing (the state directory stays empty).
func TestLabBadInput(t *testing.T) {
	stateDir := t.TempDir()
	bad := writeFile(t, "bad.yaml", "name: x\nipv4Pool: 10.1.0.0/33\nipv6Pool: fd00:1::/120\nworkloads:\n  - {name: a, colour: red}\n")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"lab", "up", "--no-register"}, "--topology is required"},
		{[]string{"lab", "up", "--no-register", "--topology", bad},
			"loupe: topology bad.yaml has 2 problems:\n" +
				`  bad.yaml:2: ipv4Pool "10.1.0.0/33" is not a CIDR prefix like 10.200.0.0/24` + "\n" +
				`  bad.yaml:5: unknown field "colour" in workloads[0]; known fields are external, ipv4, ipv6, labels, name, names, namespace, serve`},
		{[]string{"lab", "up", "--no-register", "--topology", filepath.Join(stateDir, "missing.yaml")}, "missing.yaml: read topology:"},
		{[]string{"lab", "status", "-o", "yaml"}, `-o "yaml": use table or json`},
		{[]string{"lab", "exec", "nobody", "--", "true"}, "no lab is up"},
		{[]string{"lab", "exec", "nobody"}, "requires at least 2 arg(s)"},
		{[]string{"lab", "traffic", "--rate", "-1"}, "--rate -1 is out of range"},
		{[]string{"lab", "down", "--name", "Bad_Name"}, `"Bad_Name" is not a lab name`},
	} {
		args := append([]string{tc.args[0], "--state-dir", stateDir}, tc.args[1:]...)
		_, stderr, code := loupe(t, args...)
		if code != 2 || !strings.Contains(stderr, tc.want) {
			t.Errorf("loupe %v: exit %d, stderr %q; want exit 2 and %q", tc.args, code, stderr, tc.want)
		}
	}
	if entries, _ := os.ReadDir(stateDir); len(entries) > 0 {
		t.Errorf("bad input left %v in the state dir", entries)
	}
}

// TestLabCLI drives a lab through the command line as a person would.
func TestLabCLI(t *testing.T) {
	testutil.RequireRoot(t)
	name := fmt.Sprintf("c%06x", rand.Uint32()&0xffffff)
	topo := writeFile(t, "lab.yaml", fmt.Sprintf(`name: %s
ipv4Pool: 10.%d.%d.0/28
ipv6Pool: fd00:%x:%x::/120
workloads:
  - {name: dns, namespace: infra, serve: [{protocol: dns}]}
  - {name: client, namespace: shop, labels: {app: client}}
  - {name: web, namespace: shop, labels: {app: web}, serve: [{protocol: http, port: 8080}]}
traffic:
  - {from: client, to: web, protocol: http, path: /}
  - {from: client, to: web, protocol: icmp}
  - {from: client, to: dns, protocol: dns, query: nope.shop.svc.loupe}
`, name, 251+rand.IntN(5), rand.IntN(256), 1+rand.IntN(0xfffe), rand.IntN(0xffff)))
	stateDir := t.TempDir()
	l := func(args ...string) (string, string, int) {
		t.Helper()
		return loupe(t, append([]string{"lab", "--state-dir", stateDir}, args...)...)
	}
	t.Cleanup(func() { l("down", "--name", name) })

	if out, stderr, code := l("up", "--no-register", "--topology", topo); code != 0 || !strings.Contains(out, "lab "+name+" is up: 3 workloads") {
		t.Fatalf("up: exit %d\n%s%s", code, out, stderr)
	}

	out, stderr, code := l("status", "-o", "json")
	var rows []struct {
		Name, Namespace, IPv4, IPv6, State string
		Labels                             map[string]string
	}
	if err := json.Unmarshal([]byte(out), &rows); code != 0 || err != nil || len(rows) != 3 {
		t.Fatalf("status: exit %d, %v\n%s%s", code, err, out, stderr)
	}
	if r := rows[2]; r.Name != "web" || r.Namespace != "shop" || r.Labels["app"] != "web" || r.IPv4 == "" || r.IPv6 == "" || r.State != "ready" {
		t.Errorf("status of web: %+v", r)
	}

	// exec passes the exit code through, and names resolve inside.
	if _, _, code := l("exec", "client", "--", "sh", "-c", "exit 5"); code != 5 {
		t.Errorf("exec exit code %d, want 5", code)
	}
	if _, err := exec.LookPath("curl"); err == nil || os.Getenv("CI") != "" {
		if out, stderr, code := l("exec", "shop/client", "--", "curl", "-sS", "-m", "5", "http://web:8080/cli"); code != 0 || !strings.Contains(out, `"workload":"web"`) {
			t.Errorf("curl by name: exit %d\n%s%s", code, out, stderr)
		}
	}

	if out, stderr, code := l("traffic", "--once"); code != 0 ||
		!strings.Contains(out, "http ok=2 fail=0") || !strings.Contains(out, "icmp ok=2 fail=0") || !strings.Contains(out, "(nxdomain=2)") {
		t.Errorf("traffic: exit %d\n%s%s", code, out, stderr)
	}

	// A second up of the same lab is refused and changes nothing.
	if _, stderr, code := l("up", "--no-register", "--topology", topo); code != 2 || !strings.Contains(stderr, "is already up") {
		t.Errorf("second up: exit %d, %s", code, stderr)
	}

	if out, stderr, code := l("down", "--name", name); code != 0 || out != "lab "+name+" removed\n" {
		t.Fatalf("down: exit %d\n%s%s", code, out, stderr)
	}
	if out, _, code := l("down", "--name", name); code != 0 || out != "no lab to remove\n" {
		t.Errorf("second down: exit %d, %q", code, out)
	}
	entries, _ := os.ReadDir("/run/netns")
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), "loupe-"+name+".") {
			t.Errorf("netns %s left", e.Name())
		}
	}
	if _, err := os.Stat(filepath.Join(stateDir, name)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("state of %s left", name)
	}
}
