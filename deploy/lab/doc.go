// Package lab runs workloads without an orchestrator: each workload is a
// network namespace joined to the host by a veth pair, with one IPv4 and one
// IPv6 address, labels and a namespace name, registered with the agent as a
// container runtime or CNI plugin would register it.
//
// # Topology
//
// A lab is described by a YAML topology (see demo.yaml): a name, an IPv4 and
// an IPv6 pool, workloads (name, namespace, labels, optional fixed
// addresses, servers) and the traffic `lab traffic` drives between them.
// ParseTopology refuses a topology whole, with a *TopologyError that lists
// every problem with its line; addresses not given are allocated in file
// order, so a topology always gets the same ones.
//
// # Networking
//
// No bridge, as in Calico and Cilium: a workload's eth0 has a /32 and a
// /128, routes everything through a gateway (169.254.1.1, fe80::1) that no
// interface owns, and permanent neighbour entries map the gateway to the
// MAC of the host-side veth. The host has a /32 and a /128 route plus a
// permanent neighbour entry per workload, and forwards between veths; no
// ARP or NDP is involved. The agent attaches its datapath to the host side.
//
// Names are derived from the lab name, so that several labs coexist and
// leftovers can be found without state: the netns is
// "loupe-<lab>.<namespace>.<workload>", the host veth is "lx" plus a hash
// (interface names have 15 characters) with the alias
// "loupe-lab=<lab>/<namespace>/<workload>", and /etc/netns/<netns>/resolv.conf
// points at the lab's DNS server with the search path
// "<namespace>.svc.loupe svc.loupe".
//
// # Lifecycle
//
// Manager.Up records the lab in the state directory before creating
// anything, creates every workload, registers them with the agent (after
// their host veth exists, since the agent attaches to it), then starts each
// workload's servers: a detached `loupe lab serve` process (ServeMain) in
// the workload's namespace. Any failure rolls back everything. Manager.Down
// deregisters (best-effort), stops processes in the lab's namespaces, and
// deletes links, namespaces, resolv.conf directories and the state; it works
// from the state, from names on the host, or both, and is idempotent.
//
// Manager.Traffic runs each flow from inside its source namespace: a socket
// is created on a thread switched into the namespace and stays there.
package lab
