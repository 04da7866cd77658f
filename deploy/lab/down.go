package lab

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
)

// DownOptions says where to deregister workloads.
type DownOptions struct {
	// Dial connects to the agent; nil skips deregistration.
	Dial AgentDialer
	// Server overrides the agent address recorded in a lab's state. Labs
	// whose state is gone are deregistered only when Server is set.
	Server string
}

// Down removes the named lab, or every lab when name is empty: recorded
// ones and leftovers found on the host by name. It returns the labs it
// removed something of; removing a lab that is not there is a no-op.
func (m *Manager) Down(ctx context.Context, name string, opts DownOptions) ([]string, error) {
	if name != "" && !labNameRe.MatchString(name) {
		return nil, fmt.Errorf("%w: %q is not a lab name", ErrNotFound, name)
	}
	unlock, err := m.lock()
	if err != nil {
		return nil, err
	}
	defer unlock()

	labs := make(map[string]bool)
	if name != "" {
		labs[name] = true
	} else {
		entries, err := os.ReadDir(m.StateDir)
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("list labs: %w", err)
		}
		for _, e := range entries {
			if e.IsDir() && labNameRe.MatchString(e.Name()) {
				labs[e.Name()] = true
			}
		}
	}
	left, err := findLeftovers()
	if err != nil {
		return nil, err
	}
	if name == "" {
		for l := range left {
			labs[l] = true
		}
	}

	var removed []string
	var errs []error
	for _, lab := range sortedKeys(labs) {
		st, err := m.LoadState(lab)
		switch {
		case errors.Is(err, ErrNotFound):
			st = nil
		case err != nil:
			m.Log.Warn("unreadable lab state, removing what is found by name", "lab", lab, "err", err)
			st = nil
		}
		_, dirErr := os.Stat(m.labDir(lab))
		if st == nil && left[lab] == nil && dirErr != nil {
			continue // nothing of it anywhere
		}
		removed = append(removed, lab)

		addr := opts.Server
		var ids []string
		if st != nil {
			if addr == "" {
				addr = st.Agent
			}
			ids = st.Registered
		} else if l := left[lab]; addr != "" && l != nil {
			ids = l.workloadIDs()
		}
		var agent Agent
		closeAgent := func() {}
		if opts.Dial != nil && addr != "" && len(ids) > 0 {
			a, closer, err := opts.Dial(addr)
			if err != nil {
				m.Log.Warn("agent unreachable, endpoints not deregistered", "agent", addr, "err", err)
			} else {
				agent, closeAgent = a, func() { closer.Close() }
			}
		}
		err = m.down(ctx, lab, st, agent, addr, ids)
		closeAgent()
		if err != nil {
			errs = append(errs, fmt.Errorf("remove lab %s: %w", lab, err))
		}
	}
	return removed, errors.Join(errs...)
}

// down removes one lab: it deregisters ids (st.Registered when nil), stops
// its processes, then deletes links, namespaces, resolv.conf directories and
// the state. Each step goes on after a failure, so that one stuck piece does
// not keep the rest alive; missing pieces are not failures.
func (m *Manager) down(ctx context.Context, lab string, st *State, agent Agent, addr string, ids []string) error {
	if ids == nil && st != nil {
		ids = st.Registered
	}
	if agent != nil && len(ids) > 0 {
		m.deregister(ctx, agent, addr, ids)
	}
	var errs []error
	left, err := findLeftovers()
	if err != nil {
		errs = append(errs, err)
	}
	l := left[lab]
	if l == nil {
		l = &leftover{}
	}
	netnses, links := l.netns, l.links
	var pids []int
	if st != nil {
		for i := range st.Workloads {
			netnses = append(netnses, st.Workloads[i].NetNS)
			links = append(links, st.Workloads[i].HostIface)
		}
		for id, pid := range st.Servers {
			if isServeProcess(pid, lab, id) {
				pids = append(pids, pid)
			}
		}
	}
	netnses, links = dedupe(netnses), dedupe(links)
	for _, ns := range netnses {
		if ino, ok := netNSInode(ns); ok {
			pids = append(pids, pidsInNetNS(ino)...)
		}
	}
	if pids = dedupe(pids); len(pids) > 0 {
		if err := stopProcesses(ctx, pids); err != nil {
			errs = append(errs, err)
		}
	}
	for _, name := range links {
		if err := deleteLink(name); err != nil {
			errs = append(errs, err)
		}
	}
	for _, ns := range netnses {
		if err := deleteNetNS(ns); err != nil {
			errs = append(errs, err)
		}
	}
	for _, ns := range dedupe(append(netnses, l.etc...)) {
		if err := os.RemoveAll(filepath.Join(etcNetNSDir, ns)); err != nil {
			errs = append(errs, fmt.Errorf("remove resolv.conf dir: %w", err))
		}
	}
	if len(errs) > 0 {
		// Keep the state: it is what a second down needs to finish the job.
		return errors.Join(errs...)
	}
	if err := os.RemoveAll(m.labDir(lab)); err != nil {
		return fmt.Errorf("remove lab state: %w", err)
	}
	return nil
}

// leftover is what exists on the host for one lab, found by name alone.
type leftover struct {
	netns []string // names under /run/netns
	links []string // host veth names
	etc   []string // names under /etc/netns
}

func (l *leftover) String() string {
	var parts []string
	for _, n := range l.netns {
		parts = append(parts, "netns "+n)
	}
	for _, n := range l.links {
		parts = append(parts, "link "+n)
	}
	for _, n := range l.etc {
		parts = append(parts, filepath.Join(etcNetNSDir, n))
	}
	return strings.Join(parts, ", ")
}

// workloadIDs are the workloads a lab's leftover namespaces are named after.
func (l *leftover) workloadIDs() []string {
	var ids []string
	for _, n := range l.netns {
		if _, ns, w, ok := labOfNetNS(n); ok {
			ids = append(ids, ns+"/"+w)
		}
	}
	return ids
}

// findLeftovers finds, by name, the host resources of every lab: netns
// names, host veth aliases and /etc/netns directories.
func findLeftovers() (map[string]*leftover, error) {
	out := make(map[string]*leftover)
	get := func(lab string) *leftover {
		if out[lab] == nil {
			out[lab] = &leftover{}
		}
		return out[lab]
	}
	names, err := listNetNS()
	if err != nil {
		return nil, err
	}
	for _, n := range names {
		if lab, _, _, ok := labOfNetNS(n); ok {
			get(lab).netns = append(get(lab).netns, n)
		}
	}
	links, err := listLinks()
	if err != nil {
		return nil, err
	}
	for _, l := range links {
		if lab, ok := labOfAlias(l.Attrs().Alias); ok {
			get(lab).links = append(get(lab).links, l.Attrs().Name)
		}
	}
	entries, err := os.ReadDir(etcNetNSDir)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("list %s: %w", etcNetNSDir, err)
	}
	for _, e := range entries {
		if lab, _, _, ok := labOfNetNS(e.Name()); ok {
			get(lab).etc = append(get(lab).etc, e.Name())
		}
	}
	return out, nil
}

func dedupe[T ~int | ~string](s []T) []T {
	s = slices.Clone(s)
	slices.Sort(s)
	return slices.Compact(s)
}

func sortedKeys(m map[string]bool) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
