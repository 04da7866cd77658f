package lab

import (
	"errors"
	"fmt"
	"os/exec"
	"strings"
)

// FindWorkload finds a workload by "name" or "namespace/name" in one lab,
// or in every lab when lab is empty. A bare name must match exactly one.
func (m *Manager) FindWorkload(lab, name string) (*State, *Workload, error) {
	var labs []*State
	if lab != "" {
		st, err := m.LoadState(lab)
		if err != nil {
			return nil, nil, err
		}
		labs = []*State{st}
	} else {
		var err error
		if labs, err = m.Labs(); err != nil {
			return nil, nil, err
		}
	}
	type match struct {
		st *State
		w  *Workload
	}
	var found []match
	var known []string
	for _, st := range labs {
		w, err := resolveRef(&st.Topology, name)
		switch {
		case err == nil:
			found = append(found, match{st, w})
		case errors.Is(err, ErrAmbiguous):
			return nil, nil, fmt.Errorf("lab %s: %w", st.Name, err)
		}
		for i := range st.Workloads {
			known = append(known, st.Name+":"+st.Workloads[i].ID())
		}
	}
	switch len(found) {
	case 0:
		if len(labs) == 0 {
			return nil, nil, fmt.Errorf("%w: no lab is up", ErrNotFound)
		}
		return nil, nil, fmt.Errorf("%w: no workload %q; known: %s", ErrNotFound, name, strings.Join(known, ", "))
	case 1:
		return found[0].st, found[0].w, nil
	}
	var where []string
	for _, f := range found {
		where = append(where, f.st.Name+":"+f.w.ID())
	}
	return nil, nil, fmt.Errorf("%w: %q is %s; pick the lab with --name", ErrAmbiguous, name, strings.Join(where, " and "))
}

// ExecArgv returns the command line that runs argv inside a workload:
// `ip netns exec`, which also binds /etc/netns/<netns>/resolv.conf over
// /etc/resolv.conf, so that lab names resolve inside.
func (m *Manager) ExecArgv(lab, name string, argv []string) ([]string, error) {
	if len(argv) == 0 {
		return nil, errors.New("exec: no command given")
	}
	st, w, err := m.FindWorkload(lab, name)
	if err != nil {
		return nil, err
	}
	if !netNSExists(w.NetNS) {
		return nil, fmt.Errorf("exec in %s: netns %s is missing; is lab %s up?", w.ID(), w.NetNS, st.Name)
	}
	ip, err := exec.LookPath("ip")
	if err != nil {
		return nil, fmt.Errorf("exec in %s: %w (install iproute2)", w.ID(), err)
	}
	return append([]string{ip, "netns", "exec", w.NetNS}, argv...), nil
}
