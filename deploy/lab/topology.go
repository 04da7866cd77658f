package lab

import (
	"net/netip"
	"strconv"
)

// Protocol is what a server speaks or what a traffic flow sends.
type Protocol string

// Protocols of servers (http, tcp, udp, dns) and of traffic flows (all five).
const (
	HTTP  Protocol = "http"
	TCP   Protocol = "tcp"
	UDP   Protocol = "udp"
	DNS   Protocol = "dns"
	ICMP  Protocol = "icmp"
	GRPC  Protocol = "grpc"
	Kafka Protocol = "kafka"
)

// Family selects the IP version(s) a traffic flow uses.
type Family string

// Families of traffic flows.
const (
	IPv4 Family = "ipv4"
	IPv6 Family = "ipv6"
	Both Family = "both"
)

// Topology is a validated lab: every workload has its addresses and the
// names of its network namespace and host interface, so that creating it is
// only plumbing. It is also what the state file records.
type Topology struct {
	Name      string       `json:"name"`
	IPv4Pool  netip.Prefix `json:"ipv4Pool"`
	IPv6Pool  netip.Prefix `json:"ipv6Pool"`
	Workloads []Workload   `json:"workloads"`
	Traffic   []Flow       `json:"traffic,omitempty"`
}

// Workload is one network namespace joined to the host by a veth pair.
type Workload struct {
	Name      string            `json:"name"`
	Namespace string            `json:"namespace"`
	Labels    map[string]string `json:"labels"`
	IPv4      netip.Addr        `json:"ipv4"`
	IPv6      netip.Addr        `json:"ipv6"`
	Serve     []Server          `json:"serve,omitempty"`
	// External workloads stand for hosts outside the cluster: they are
	// not registered with the agent, so the datapath sees them as world.
	External bool `json:"external,omitempty"`
	// Names are more DNS names (any domain) the lab DNS answers with the
	// workload's addresses: external services for toFQDNs policies.
	Names []string `json:"names,omitempty"`
	// NetNS is the name of the network namespace under /run/netns.
	NetNS string `json:"netns"`
	// HostIface is the host side of the veth pair, where the agent attaches.
	HostIface string `json:"hostInterface"`
}

// ID is "namespace/name", unique within a lab.
func (w *Workload) ID() string { return w.Namespace + "/" + w.Name }

// Server is one listener a workload runs.
type Server struct {
	Protocol Protocol `json:"protocol"`
	Port     uint16   `json:"port"`
}

func (s Server) String() string { return string(s.Protocol) + "/" + strconv.Itoa(int(s.Port)) }

// Flow is one kind of traffic `lab traffic` drives, from one workload to
// another, at Rate actions per second.
type Flow struct {
	From     string   `json:"from"` // workload ID
	To       string   `json:"to"`   // workload ID
	Protocol Protocol `json:"protocol"`
	Port     uint16   `json:"port,omitempty"`
	Path     string   `json:"path,omitempty"`
	Family   Family   `json:"family"`
	Rate     float64  `json:"rate"`
	// Query is the name a dns flow asks for; empty cycles through the lab's
	// names plus one that does not exist.
	Query string `json:"query,omitempty"`
}

// Workload returns the workload with the given ID, or nil.
func (t *Topology) Workload(id string) *Workload {
	for i := range t.Workloads {
		if t.Workloads[i].ID() == id {
			return &t.Workloads[i]
		}
	}
	return nil
}

// DNSServer returns the workload that serves the lab's names, or nil when the
// lab has none.
func (t *Topology) DNSServer() *Workload {
	for i := range t.Workloads {
		for _, s := range t.Workloads[i].Serve {
			if s.Protocol == DNS {
				return &t.Workloads[i]
			}
		}
	}
	return nil
}
