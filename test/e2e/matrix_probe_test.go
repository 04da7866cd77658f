package e2e

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"golang.org/x/net/icmp"
	"golang.org/x/net/ipv4"
	"golang.org/x/net/ipv6"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/loupe-dev/loupe/api/flow"
	"github.com/loupe-dev/loupe/api/observer"
	labpkg "github.com/loupe-dev/loupe/deploy/lab"
)

// labUpFile brings up the topology in path under a unique lab name, with
// the given old/new replacements applied to the file (pools, for one), and
// removes it when the test ends.
func labUpFile(t testing.TB, a *agentProc, path string, replace ...string) *lab {
	t.Helper()
	n := labSeq.Add(1)
	name := fmt.Sprintf("mx%d%d", os.Getpid()%1000, n)
	body, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	topo := strings.Replace(string(body), "name: matrix", "name: "+name, 1)
	topo = strings.NewReplacer(replace...).Replace(topo)
	file := filepath.Join(t.TempDir(), "topology.yaml")
	if err := os.WriteFile(file, []byte(topo), 0o644); err != nil {
		t.Fatal(err)
	}
	l := &lab{t: t, name: name, stateDir: filepath.Join(t.TempDir(), "lab"), agent: a}
	t.Cleanup(func() {
		if _, code, stderr := loupeCode(t, "lab", "down", "--name", name, "--state-dir", l.stateDir, "--server", a.server()); code != 0 {
			t.Errorf("lab down: exit %d: %s", code, stderr)
		}
	})
	loupe(t, "lab", "up", "--topology", file, "--state-dir", l.stateDir, "--server", a.server())
	return l
}

// peerKind says where a probe end lives.
type peerKind int

const (
	peerWorkload peerKind = iota
	peerHost              // the host's own network namespace: identity host
	peerOutside           // a namespace the agent does not know: world or a CIDR
)

// peer is one end of a probe.
type peer struct {
	name, ns string // workload name and namespace; name only for host/outside
	kind     peerKind
	v4, v6   string
	netns    string // under /run/netns; empty for the host
}

func (p *peer) String() string {
	if p.kind == peerWorkload {
		return p.ns + "/" + p.name
	}
	return p.name
}

func (p *peer) workload() bool { return p.kind == peerWorkload }

// matrixPeers reads the lab's workloads from `lab status -o json`.
func matrixPeers(t testing.TB, l *lab) []*peer {
	t.Helper()
	var out []*peer
	for _, w := range l.workloads() {
		p := &peer{kind: peerWorkload}
		p.name, _ = w["name"].(string)
		p.ns, _ = w["namespace"].(string)
		p.v4, _ = w["ipv4"].(string)
		p.v6, _ = w["ipv6"].(string)
		p.netns, _ = w["netns"].(string)
		if p.name == "" || p.ns == "" || p.v4 == "" || p.v6 == "" || p.netns == "" {
			t.Fatalf("lab status entry lacks name, namespace, addresses or netns: %v", w)
		}
		out = append(out, p)
	}
	return out
}

// outside is a network namespace joined to the host by a veth pair like a
// lab workload, but never registered with the agent: its addresses are not
// in the ipcache, so the datapath sees them as world (or as a CIDR a policy
// names). It serves TCP echo on 5000 on every address.
type outside struct {
	netns string
	addrs []string
}

// outsideUp creates the namespace with the given IPv4 addresses; it is
// removed when the test ends.
func outsideUp(t testing.TB, addrs ...string) *outside {
	t.Helper()
	id := fmt.Sprintf("%d%d", os.Getpid()%10000, labSeq.Add(1))
	o := &outside{netns: "lpx" + id, addrs: addrs}
	hostIf, inIf := "lpxh"+id, "lpxw"+id
	ip := func(args ...string) string {
		t.Helper()
		out, err := exec.Command("ip", args...).CombinedOutput()
		if err != nil {
			t.Fatalf("ip %s: %v: %s", strings.Join(args, " "), err, out)
		}
		return string(out)
	}
	t.Cleanup(func() {
		// Deleting the namespace deletes the veth pair, its routes and
		// neighbours with it.
		if out, err := exec.Command("ip", "netns", "del", o.netns).CombinedOutput(); err != nil {
			t.Errorf("ip netns del %s: %v: %s", o.netns, err, out)
		}
	})
	ip("netns", "add", o.netns)
	ip("link", "add", hostIf, "type", "veth", "peer", "name", inIf, "netns", o.netns)
	ip("link", "set", hostIf, "up")
	ip("-n", o.netns, "link", "set", "lo", "up")
	ip("-n", o.netns, "link", "set", inIf, "up")
	mac := func(args ...string) string {
		var links []struct {
			Address string `json:"address"`
		}
		if err := json.Unmarshal([]byte(ip(append([]string{"-j"}, args...)...)), &links); err != nil || len(links) != 1 {
			t.Fatalf("mac of %v: %v", args, err)
		}
		return links[0].Address
	}
	hostMAC, inMAC := mac("link", "show", hostIf), mac("-n", o.netns, "link", "show", inIf)
	for _, a := range addrs {
		ip("-n", o.netns, "addr", "add", a+"/32", "dev", inIf)
		ip("route", "add", a+"/32", "dev", hostIf)
		ip("neigh", "replace", a, "lladdr", inMAC, "dev", hostIf, "nud", "permanent")
	}
	// The same gateway trick as the lab: 169.254.1.1 answered by the host.
	ip("-n", o.netns, "route", "add", "169.254.1.1", "dev", inIf, "scope", "link")
	ip("-n", o.netns, "route", "add", "default", "via", "169.254.1.1", "dev", inIf)
	ip("-n", o.netns, "neigh", "replace", "169.254.1.1", "lladdr", hostMAC, "dev", inIf, "nud", "permanent")

	var ln net.Listener
	if err := inNetns(o.netns, func() error {
		var err error
		ln, err = net.Listen("tcp4", ":5000")
		return err
	}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				c.SetDeadline(time.Now().Add(10 * time.Second))
				r := bufio.NewReader(c)
				for {
					line, err := r.ReadString('\n')
					if err != nil {
						return
					}
					if _, err := c.Write([]byte(line)); err != nil {
						return
					}
				}
			}()
		}
	}()
	return o
}

func (o *outside) peers() []*peer {
	var out []*peer
	for i, a := range o.addrs {
		out = append(out, &peer{name: fmt.Sprintf("outside%d(%s)", i+1, a), kind: peerOutside, v4: a, netns: o.netns})
	}
	return out
}

// inNetns runs f on a thread inside the named network namespace (the host's
// when name is empty). Sockets f creates stay in that namespace; the thread
// returns to the host namespace, so no thread of this process (the main one
// included) is ever left inside a lab namespace, where lab down would take
// the process for a workload's and stop it.
func inNetns(name string, f func() error) error {
	if name == "" {
		return f()
	}
	return labpkg.RunInNetNS(name, f)
}

// probe is one connection attempt with real traffic. Its source port (TCP
// and UDP) or echo id (ICMP) is unique in the test run, so that its flows
// can be told apart from every other probe's.
type probe struct {
	src, dst *peer
	proto    string // tcp, udp, icmp
	v6       bool
	port     uint16 // destination port; 0 for icmp
	sport    uint16 // source port (tcp, udp) or echo id (icmp)
	// passed is what happened: the exchange completed.
	passed bool
	err    error
}

func (p *probe) String() string {
	fam := "v4"
	if p.v6 {
		fam = "v6"
	}
	if p.proto == "icmp" {
		return fmt.Sprintf("%s -> %s icmp%s echo(id %d)", p.src, p.dst, fam, p.sport)
	}
	return fmt.Sprintf("%s -> %s %s%s/%d (sport %d)", p.src, p.dst, p.proto, fam, p.port, p.sport)
}

func (p *probe) addrs() (src, dst string) {
	if p.v6 {
		return p.src.v6, p.dst.v6
	}
	return p.src.v4, p.dst.v4
}

// Source ports and echo ids, unique over the run.
var probeSeq atomic.Uint32

func nextProbeID() uint16 { return uint16(20000 + probeSeq.Add(1)%40000) }

// probeTimeout bounds one exchange: a denied first packet is dropped
// silently, so a denied probe costs this long. It stays under the kernel's
// first SYN retransmission (1s) so that every probe sends one first packet.
const probeTimeout = 500 * time.Millisecond

// run performs the exchange: TCP connect plus one echoed line, a UDP
// datagram echoed back, or an ICMP echo answered.
func (p *probe) run() {
	srcIP, dstIP := p.addrs()
	p.err = inNetns(p.src.netns, func() error {
		deadline := time.Now().Add(probeTimeout)
		local := net.ParseIP(srcIP)
		if p.src.kind == peerHost {
			local = nil // the host picks its own source address
		}
		switch p.proto {
		case "tcp", "udp":
			d := net.Dialer{Deadline: deadline}
			if p.src.kind == peerHost {
				// The host's namespace outlives the test: a fixed port may
				// still be in TIME-WAIT from an earlier run. Bind to a port
				// the kernel picks and remember it.
				d.Control = func(_, _ string, rc syscall.RawConn) error {
					var err error
					if cerr := rc.Control(func(fd uintptr) {
						if err = syscall.Bind(int(fd), &syscall.SockaddrInet4{}); err != nil {
							return
						}
						var sa syscall.Sockaddr
						if sa, err = syscall.Getsockname(int(fd)); err == nil {
							p.sport = uint16(sa.(*syscall.SockaddrInet4).Port)
						}
					}); cerr != nil {
						return cerr
					}
					return err
				}
			} else if p.proto == "tcp" {
				d.LocalAddr = &net.TCPAddr{IP: local, Port: int(p.sport)}
			} else {
				d.LocalAddr = &net.UDPAddr{IP: local, Port: int(p.sport)}
			}
			network := p.proto + "4"
			if p.v6 {
				network = p.proto + "6"
			}
			c, err := d.Dial(network, net.JoinHostPort(dstIP, fmt.Sprint(p.port)))
			if err != nil {
				return err
			}
			defer c.Close()
			c.SetDeadline(deadline)
			msg := fmt.Sprintf("probe %d\n", p.sport)
			if _, err := c.Write([]byte(msg)); err != nil {
				return err
			}
			buf := make([]byte, 64)
			n, err := c.Read(buf)
			if err != nil {
				return err
			}
			if p.proto == "tcp" {
				// A line may arrive in pieces; the first byte proves the path.
				if n == 0 || buf[0] != msg[0] {
					return fmt.Errorf("echo returned %q", buf[:n])
				}
			} else if string(buf[:n]) != msg {
				return fmt.Errorf("echo returned %q, want %q", buf[:n], msg)
			}
			return nil
		case "icmp":
			return pingOnce(p.v6, srcIP, dstIP, int(p.sport), deadline)
		}
		return fmt.Errorf("unknown protocol %q", p.proto)
	})
	p.passed = p.err == nil
}

// pingOnce sends one echo request with the given id from a raw socket bound
// to src and waits for the matching reply.
func pingOnce(v6 bool, src, dst string, id int, deadline time.Time) error {
	network, reqType, replyType, proto := "ip4:icmp", icmp.Type(ipv4.ICMPTypeEcho), icmp.Type(ipv4.ICMPTypeEchoReply), 1
	if v6 {
		network, reqType, replyType, proto = "ip6:ipv6-icmp", ipv6.ICMPTypeEchoRequest, ipv6.ICMPTypeEchoReply, 58
	}
	c, err := icmp.ListenPacket(network, src)
	if err != nil {
		return err
	}
	defer c.Close()
	msg := icmp.Message{Type: reqType, Body: &icmp.Echo{ID: id, Seq: 1, Data: []byte("loupe matrix")}}
	b, err := msg.Marshal(nil) // ICMPv6: the kernel computes the checksum
	if err != nil {
		return err
	}
	if _, err := c.WriteTo(b, &net.IPAddr{IP: net.ParseIP(dst)}); err != nil {
		return err
	}
	c.SetReadDeadline(deadline)
	buf := make([]byte, 1500)
	for {
		n, from, err := c.ReadFrom(buf)
		if err != nil {
			return err
		}
		m, err := icmp.ParseMessage(proto, buf[:n])
		if err != nil || m.Type != replyType || from.String() != net.ParseIP(dst).String() {
			continue
		}
		if e, ok := m.Body.(*icmp.Echo); ok && e.ID == id {
			return nil
		}
	}
}

// runProbes runs every probe, at most par at a time.
func runProbes(probes []*probe, par int) {
	sem := make(chan struct{}, par)
	var wg sync.WaitGroup
	for _, p := range probes {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			p.run()
		})
	}
	wg.Wait()
}

// policyFlows returns the policy-verdict and drop flows since a time.
func policyFlows(t testing.TB, a *agentProc, since time.Time) []*flow.Flow {
	t.Helper()
	return flowsOf(drain(t, a, &observer.GetFlowsRequest{
		Since: timestamppb.New(since),
		Allow: []*flow.FlowFilter{{EventType: []string{"policy-verdict", "drop"}}},
	}))
}

// flowOf reports whether f is about the first packet of p seen at point.
func (p *probe) flowOf(f *flow.Flow, point flow.ObservationPoint) bool {
	if f.GetObservationPoint() != point || f.GetIsReply() {
		return false
	}
	srcIP, dstIP := p.addrs()
	if f.GetIp().GetDestination() != dstIP || (p.src.kind != peerHost && f.GetIp().GetSource() != srcIP) {
		return false
	}
	l4 := f.GetL4()
	switch p.proto {
	case "tcp":
		return l4.GetTcp() != nil && l4.GetTcp().GetSourcePort() == uint32(p.sport) && l4.GetTcp().GetDestinationPort() == uint32(p.port)
	case "udp":
		return l4.GetUdp() != nil && l4.GetUdp().GetSourcePort() == uint32(p.sport) && l4.GetUdp().GetDestinationPort() == uint32(p.port)
	case "icmp":
		// Flows carry no echo id; one echo per pair and family per scenario.
		if p.v6 {
			return l4.GetIcmpv6() != nil && l4.GetIcmpv6().GetType() == 128
		}
		return l4.GetIcmpv4() != nil && l4.GetIcmpv4().GetType() == 8
	}
	return false
}

// lostEvents returns the agent's count of events the kernel could not
// deliver, for failure messages.
func lostEvents(a *agentProc) uint64 { return a.status().GetNumLostEvents() }

// deleteAllPolicies deletes every policy the agent holds.
func deleteAllPolicies(t testing.TB, a *agentProc) {
	t.Helper()
	var list struct {
		Policies []struct {
			Namespace string `json:"namespace"`
			Name      string `json:"name"`
		} `json:"policies"`
	}
	if err := json.Unmarshal([]byte(loupe(t, "policy", "list", "-o", "json", "--server", a.server())), &list); err != nil {
		t.Fatal(err)
	}
	for _, p := range list.Policies {
		loupe(t, "policy", "delete", p.Namespace+"/"+p.Name, "--server", a.server())
	}
}

// waitFor polls check until it reports no problem or the deadline passes;
// it returns the last problems.
func waitFor(d time.Duration, check func() []string) []string {
	deadline := time.Now().Add(d)
	for {
		problems := check()
		if len(problems) == 0 || time.Now().After(deadline) {
			return problems
		}
		time.Sleep(250 * time.Millisecond)
	}
}

func sortedCopy(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return s
}
