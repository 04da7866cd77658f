package lab

import (
	"fmt"
	"io"
	"maps"
	"net"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/vishvananda/netlink"
)

// WorkloadStatus is one row of `lab status`: what the state says, checked
// against what exists.
type WorkloadStatus struct {
	Lab        string            `json:"lab"`
	Name       string            `json:"name"`
	Namespace  string            `json:"namespace"`
	Labels     map[string]string `json:"labels"`
	IPv4       string            `json:"ipv4"`
	IPv6       string            `json:"ipv6"`
	NetNS      string            `json:"netns"`
	Interface  string            `json:"interface"`
	Servers    []string          `json:"servers"`
	PID        int               `json:"pid,omitempty"`
	Registered bool              `json:"registered"`
	// State is "ready", or what is wrong ("netns missing", ...).
	State string `json:"state"`
}

// Status lists the workloads of one lab, or of every lab when lab is empty.
func (m *Manager) Status(lab string) ([]WorkloadStatus, error) {
	var labs []*State
	if lab != "" {
		st, err := m.LoadState(lab)
		if err != nil {
			return nil, err
		}
		labs = []*State{st}
	} else {
		var err error
		if labs, err = m.Labs(); err != nil {
			return nil, err
		}
	}
	rows := []WorkloadStatus{}
	for _, st := range labs {
		registered := make(map[string]bool)
		for _, id := range st.Registered {
			registered[id] = true
		}
		for i := range st.Workloads {
			w := &st.Workloads[i]
			row := WorkloadStatus{
				Lab: st.Name, Name: w.Name, Namespace: w.Namespace, Labels: w.Labels,
				IPv4: w.IPv4.String(), IPv6: w.IPv6.String(), NetNS: w.NetNS, Interface: w.HostIface,
				Servers: []string{}, PID: st.Servers[w.ID()], Registered: registered[w.ID()],
			}
			for _, s := range w.Serve {
				row.Servers = append(row.Servers, s.String())
			}
			row.State = workloadHealth(st, w)
			rows = append(rows, row)
		}
	}
	return rows, nil
}

func workloadHealth(st *State, w *Workload) string {
	var problems []string
	if st.Phase != PhaseUp {
		problems = append(problems, st.Phase)
	}
	if !netNSExists(w.NetNS) {
		problems = append(problems, "netns missing")
	}
	if l, err := netlink.LinkByName(w.HostIface); err != nil {
		problems = append(problems, "interface missing")
	} else if l.Attrs().Flags&net.FlagUp == 0 {
		problems = append(problems, "interface down")
	}
	if len(w.Serve) > 0 {
		pid := st.Servers[w.ID()]
		if pid == 0 || !processAlive(pid) || !isServeProcess(pid, st.Name, w.ID()) {
			problems = append(problems, "servers not running")
		}
	}
	if len(problems) == 0 {
		return "ready"
	}
	return strings.Join(problems, ", ")
}

// WriteStatusTable prints rows as an aligned table.
func WriteStatusTable(out io.Writer, rows []WorkloadStatus) error {
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "LAB\tNAMESPACE\tNAME\tIPV4\tIPV6\tINTERFACE\tNETNS\tSERVERS\tLABELS\tSTATE")
	for _, r := range rows {
		var labels []string
		for _, k := range slices.Sorted(maps.Keys(r.Labels)) {
			labels = append(labels, k+"="+r.Labels[k])
		}
		servers := strings.Join(r.Servers, ",")
		if servers == "" {
			servers = "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.Lab, r.Namespace, r.Name, r.IPv4, r.IPv6,
			r.Interface, r.NetNS, servers, strings.Join(labels, ","), r.State)
	}
	return tw.Flush()
}
