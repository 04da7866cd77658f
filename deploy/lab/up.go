package lab

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/vishvananda/netlink"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// UpOptions says whether and where to register workloads.
type UpOptions struct {
	// Agent registers the workloads; nil runs the lab without an agent.
	Agent Agent
	// AgentAddr names the agent in errors and in the state, so that down
	// deregisters from the same one.
	AgentAddr string
}

// rollbackTimeout bounds the clean-up after a failed up.
const rollbackTimeout = 30 * time.Second

// Up creates a validated topology: namespaces, veth pairs, routes and
// neighbours, resolv.conf files, registration with the agent, and servers.
// It creates all of it or, on any failure, removes what it created.
func (m *Manager) Up(ctx context.Context, t *Topology, opts UpOptions) (*State, error) {
	unlock, err := m.lock()
	if err != nil {
		return nil, err
	}
	defer unlock()
	if err := m.checkFree(t); err != nil {
		return nil, err
	}
	if err := enableForwarding(); err != nil {
		return nil, err
	}
	st := &State{Topology: *t, Phase: PhaseCreating, Created: time.Now().UTC(), Servers: map[string]int{}}
	if opts.Agent != nil {
		st.Agent = opts.AgentAddr
	}
	// The state is written before anything is created, so that down finds
	// everything even if this process dies half-way.
	if err := m.saveState(st); err != nil {
		return nil, err
	}
	if err := m.create(ctx, st, opts); err != nil {
		// Roll back with a fresh context: the failure may be a cancelled one.
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), rollbackTimeout)
		defer cancel()
		if derr := m.down(cctx, st.Name, st, opts.Agent, opts.AgentAddr, nil); derr != nil {
			return nil, errors.Join(err, fmt.Errorf("roll back lab %s: %w", st.Name, derr))
		}
		return nil, err
	}
	st.Phase = PhaseUp
	if err := m.saveState(st); err != nil {
		return nil, err
	}
	return st, nil
}

func (m *Manager) create(ctx context.Context, st *State, opts UpOptions) error {
	for i := range st.Workloads {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("create lab %s: %w", st.Name, err)
		}
		w := &st.Workloads[i]
		if err := createNetNS(w.NetNS); err != nil {
			return err
		}
		if err := plumb(st.Name, w); err != nil {
			return err
		}
		if err := writeResolvConf(&st.Topology, w); err != nil {
			return err
		}
	}
	if opts.Agent != nil {
		for i := range st.Workloads {
			w := &st.Workloads[i]
			if w.External {
				continue
			}
			st.Registered = append(st.Registered, w.ID())
			if err := m.saveState(st); err != nil {
				return err
			}
			if err := register(ctx, opts.Agent, opts.AgentAddr, w); err != nil {
				if status.Code(errors.Unwrap(err)) == codes.Unavailable {
					// The agent was never reached: nothing to deregister.
					st.Registered = st.Registered[:len(st.Registered)-1]
				}
				return err
			}
		}
	}
	for i := range st.Workloads {
		w := &st.Workloads[i]
		if len(w.Serve) == 0 {
			continue
		}
		pid, err := m.startServers(ctx, st.Name, w)
		if pid != 0 {
			st.Servers[w.ID()] = pid
			if serr := m.saveState(st); serr != nil && err == nil {
				err = serr
			}
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// checkFree refuses a lab whose name is taken (recorded, or leftovers on
// the host), whose pools overlap another lab's, or whose addresses are
// already routed on the host (a lab recorded in another state directory).
func (m *Manager) checkFree(t *Topology) error {
	if _, err := m.LoadState(t.Name); err == nil {
		return conflictf("lab %q is already up (state in %s); remove it first with `loupe lab down --name %s`",
			t.Name, m.labDir(t.Name), t.Name)
	} else if !errors.Is(err, ErrNotFound) {
		return err
	}
	left, err := findLeftovers()
	if err != nil {
		return err
	}
	if l := left[t.Name]; l != nil {
		return conflictf("leftovers of lab %q exist (%s); remove them with `loupe lab down --name %s`",
			t.Name, l, t.Name)
	}
	labs, err := m.Labs()
	if err != nil {
		return err
	}
	for _, o := range labs {
		for _, p := range [][2]netip.Prefix{{t.IPv4Pool, o.IPv4Pool}, {t.IPv6Pool, o.IPv6Pool}} {
			if p[0].Overlaps(p[1]) {
				return conflictf("pool %s of lab %q overlaps pool %s of lab %q; pick another pool",
					p[0], t.Name, p[1], o.Name)
			}
		}
	}
	return checkRoutesFree(t)
}

func checkRoutesFree(t *Topology) error {
	taken := make(map[netip.Prefix]string)
	for _, fam := range []int{netlink.FAMILY_V4, netlink.FAMILY_V6} {
		routes, err := netlink.RouteList(nil, fam)
		if err != nil && !errors.Is(err, netlink.ErrDumpInterrupted) {
			return fmt.Errorf("list routes: %w", err)
		}
		for _, r := range routes {
			if r.Dst == nil {
				continue
			}
			if p, ok := netipPrefix(r.Dst.String()); ok && p.IsSingleIP() {
				taken[p] = fmt.Sprintf("route %s dev index %d", p, r.LinkIndex)
			}
		}
	}
	for i := range t.Workloads {
		w := &t.Workloads[i]
		for _, a := range []netip.Addr{w.IPv4, w.IPv6} {
			if what, ok := taken[netip.PrefixFrom(a, a.BitLen())]; ok {
				return conflictf("address %s of %s is already routed on this host (%s); pick another pool for lab %q",
					a, w.ID(), what, t.Name)
			}
		}
	}
	return nil
}

func netipPrefix(s string) (netip.Prefix, bool) {
	p, err := netip.ParsePrefix(s)
	return p, err == nil
}

// etcNetNSDir is where `ip netns exec` finds files to bind over /etc.
const etcNetNSDir = "/etc/netns"

// writeResolvConf points the workload's resolver at the lab DNS, with the
// search path that makes bare names resolve in the workload's namespace
// first, as in Kubernetes.
func writeResolvConf(t *Topology, w *Workload) error {
	d := t.DNSServer()
	if d == nil {
		return nil
	}
	dir := filepath.Join(etcNetNSDir, w.NetNS)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("write resolv.conf: %w", err)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "# Written by loupe lab up for %s of lab %s.\n", w.ID(), t.Name)
	fmt.Fprintf(&b, "nameserver %s\nnameserver %s\n", d.IPv4, d.IPv6)
	fmt.Fprintf(&b, "search %s.%s %s\n", w.Namespace, strings.TrimSuffix(Zone, "."), strings.TrimSuffix(Zone, "."))
	b.WriteString("options ndots:1 timeout:1 attempts:2\n")
	if err := os.WriteFile(filepath.Join(dir, "resolv.conf"), []byte(b.String()), 0o644); err != nil {
		return fmt.Errorf("write resolv.conf: %w", err)
	}
	return nil
}
