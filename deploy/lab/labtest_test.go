package lab

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/loupe-dev/loupe/internal/testutil"

	"github.com/vishvananda/netlink"
)

// requireTool is requireRoot for a command the test runs inside workloads.
func requireTool(t *testing.T, name string) {
	t.Helper()
	if _, err := exec.LookPath(name); err == nil {
		return
	}
	if os.Getenv("CI") != "" {
		t.Fatalf("%s is not installed (make deps installs it); CI is set, so the test may not skip", name)
	}
	t.Skipf("%s is not installed", name)
}

// newTestManager records labs in a temporary directory and starts servers
// by running this test binary again (see TestMain).
func newTestManager(t *testing.T) (*Manager, *testutil.SyncBuffer) {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	log := &testutil.SyncBuffer{}
	m := NewManager(t.TempDir(), ServeCommand{Path: exe, Env: []string{serveEnv + "=1"}},
		slog.New(slog.NewTextHandler(log, nil)))
	return m, log
}

// uniqueTopology parses body under a fresh lab name and fresh pools, so that
// tests (and labs of other packages, which use 10.200-249) running at
// once do not collide.
func uniqueTopology(t *testing.T, body string) *Topology {
	t.Helper()
	name := fmt.Sprintf("t%06x", rand.Uint32()&0xffffff)
	v4 := fmt.Sprintf("10.%d.%d.%d/28", 251+rand.IntN(5), rand.IntN(256), rand.IntN(16)*16)
	v6 := fmt.Sprintf("fd00:%x:%x::/120", 1+rand.IntN(0xfffe), rand.IntN(0xffff))
	topo, err := ParseTopology("test.yaml", []byte(fmt.Sprintf("name: %s\nipv4Pool: %s\nipv6Pool: %s\n%s", name, v4, v6, body)))
	if err != nil {
		t.Fatal(err)
	}
	return topo
}

// upLab brings a lab up and makes sure it comes down when the test ends,
// whether it passes or not.
func upLab(t *testing.T, m *Manager, topo *Topology, opts UpOptions) *State {
	t.Helper()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if _, err := m.Down(ctx, topo.Name, DownOptions{}); err != nil {
			t.Errorf("clean up lab %s: %v", topo.Name, err)
		}
	})
	st, err := m.Up(context.Background(), topo, opts)
	if err != nil {
		t.Fatalf("up: %v", err)
	}
	return st
}

// runIn runs argv inside a workload the way `loupe lab exec` does.
func runIn(t *testing.T, m *Manager, lab, workload string, argv ...string) (string, error) {
	t.Helper()
	full, err := m.ExecArgv(lab, workload, argv)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, full[0], full[1:]...).CombinedOutput()
	return string(out), err
}

// assertGone checks that nothing of a lab is left on the host: namespaces,
// links, routes, neighbour entries, resolv.conf directories, processes and
// state.
func assertGone(t *testing.T, m *Manager, st *State) {
	t.Helper()
	addrs := map[netip.Addr]string{}
	for i := range st.Workloads {
		w := &st.Workloads[i]
		addrs[w.IPv4], addrs[w.IPv6] = w.ID(), w.ID()
		if _, err := os.Stat(NetNSPath(w.NetNS)); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("netns %s left (stat: %v)", w.NetNS, err)
		}
		if _, err := netlink.LinkByName(w.HostIface); err == nil {
			t.Errorf("link %s left", w.HostIface)
		}
		if _, err := os.Stat(filepath.Join(etcNetNSDir, w.NetNS)); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s/%s left", etcNetNSDir, w.NetNS)
		}
	}
	for _, fam := range []int{netlink.FAMILY_V4, netlink.FAMILY_V6} {
		routes, err := netlink.RouteList(nil, fam)
		if err != nil && !errors.Is(err, netlink.ErrDumpInterrupted) {
			t.Fatal(err)
		}
		for _, r := range routes {
			if r.Dst == nil {
				continue
			}
			if p, err := netip.ParsePrefix(r.Dst.String()); err == nil && p.IsSingleIP() && addrs[p.Addr()] != "" {
				t.Errorf("route to %s (%s) left", p, addrs[p.Addr()])
			}
		}
		neighs, err := netlink.NeighList(0, fam)
		if err != nil && !errors.Is(err, netlink.ErrDumpInterrupted) {
			t.Fatal(err)
		}
		for _, n := range neighs {
			if a, ok := netip.AddrFromSlice(n.IP); ok && addrs[a.Unmap()] != "" {
				t.Errorf("neighbour entry %s (%s) left", a, addrs[a.Unmap()])
			}
		}
	}
	for id, pid := range st.Servers {
		if processAlive(pid) {
			t.Errorf("server process %d of %s left", pid, id)
		}
	}
	if pids := serveProcessesOf(st.Name); len(pids) > 0 {
		t.Errorf("lab serve processes %v left", pids)
	}
	if left, err := findLeftovers(); err != nil {
		t.Fatal(err)
	} else if l := left[st.Name]; l != nil {
		t.Errorf("leftovers: %s", l)
	}
	if _, err := os.Stat(m.labDir(st.Name)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("state %s left (stat: %v)", m.labDir(st.Name), err)
	}
}

// serveProcessesOf lists live processes whose command line names the lab.
func serveProcessesOf(lab string) []int {
	entries, _ := os.ReadDir("/proc")
	var pids []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		data, err := os.ReadFile("/proc/" + e.Name() + "/cmdline")
		if err == nil && strings.Contains(string(data), "\x00--lab\x00"+lab+"\x00") && processAlive(pid) {
			pids = append(pids, pid)
		}
	}
	return pids
}

// netnsCount counts the namespaces of a lab that exist.
func netnsCount(t *testing.T, lab string) int {
	t.Helper()
	left, err := findLeftovers()
	if err != nil {
		t.Fatal(err)
	}
	if l := left[lab]; l != nil {
		return len(l.netns)
	}
	return 0
}
