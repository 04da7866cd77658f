package e2e

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/encoding/protojson"

	"github.com/loupe-dev/loupe/api/flow"
	"github.com/loupe-dev/loupe/api/observer"
)

// observeJSON runs `loupe observe ... -o json` and parses every line.
func observeJSON(t testing.TB, a *agentProc, args ...string) []*observer.GetFlowsResponse {
	t.Helper()
	out := loupe(t, append([]string{"observe", "--server", a.server(), "-o", "json"}, args...)...)
	var resps []*observer.GetFlowsResponse
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		if line == "" {
			continue
		}
		r := &observer.GetFlowsResponse{}
		if err := protojson.Unmarshal([]byte(line), r); err != nil {
			t.Fatalf("observe printed a line that is not a GetFlowsResponse: %v\n%s", err, line)
		}
		resps = append(resps, r)
	}
	return resps
}

func flowsOf(resps []*observer.GetFlowsResponse) []*flow.Flow {
	var fs []*flow.Flow
	for _, r := range resps {
		if f := r.GetFlow(); f != nil {
			fs = append(fs, f)
		}
	}
	return fs
}

// addrs maps workload name to its IPv4 and IPv6 address from `lab status`.
func addrs(t testing.TB, l *lab) map[string][2]string {
	out := map[string][2]string{}
	for _, w := range l.workloads() {
		name, _ := w["name"].(string)
		v4, _ := w["ipv4"].(string)
		v6, _ := w["ipv6"].(string)
		if name == "" || v4 == "" || v6 == "" {
			t.Fatalf("lab status entry without name or addresses: %v", w)
		}
		out[name] = [2]string{v4, v6}
	}
	return out
}

type flowWant struct {
	name         string
	src, dst     string // workloads
	srcNS, dstNS string
	proto        string // tcp, udp, icmpv4, icmpv6
	dport        uint32
	icmpType     uint32
	v6           bool
	obs          flow.ObservationPoint
	dir          flow.TrafficDirection
	reply        bool
	srcLabel     string
}

func (w flowWant) matches(f *flow.Flow, ips map[string][2]string) bool {
	fam := 0
	if w.v6 {
		fam = 1
	}
	if f.GetSource().GetWorkload() != w.src || f.GetDestination().GetWorkload() != w.dst ||
		f.GetSource().GetNamespace() != w.srcNS || f.GetDestination().GetNamespace() != w.dstNS ||
		f.GetObservationPoint() != w.obs || f.GetTrafficDirection() != w.dir || f.GetIsReply() != w.reply ||
		f.GetIp().GetSource() != ips[w.src][fam] || f.GetIp().GetDestination() != ips[w.dst][fam] ||
		f.GetVerdict() != flow.Verdict_FORWARDED || f.GetNodeName() == "" {
		return false
	}
	if w.srcLabel != "" && !slices.Contains(f.GetSource().GetLabels(), w.srcLabel) {
		return false
	}
	if f.GetSource().GetIdentity() < 256 || f.GetDestination().GetIdentity() < 256 {
		return false
	}
	l4 := f.GetL4()
	switch w.proto {
	case "tcp":
		tcp := l4.GetTcp()
		if w.reply {
			return tcp != nil && tcp.GetSourcePort() == w.dport
		}
		return tcp != nil && tcp.GetDestinationPort() == w.dport
	case "udp":
		udp := l4.GetUdp()
		if w.reply {
			return udp != nil && udp.GetSourcePort() == w.dport
		}
		return udp != nil && udp.GetDestinationPort() == w.dport
	case "icmpv4":
		return l4.GetIcmpv4() != nil && l4.GetIcmpv4().GetType() == w.icmpType
	case "icmpv6":
		return l4.GetIcmpv6() != nil && l4.GetIcmpv6().GetType() == w.icmpType
	}
	return false
}

// TestTrafficBecomesFlows: lab traffic of every kind comes out of observe
// with the right 5-tuple, both families, endpoints, direction and point.
func TestTrafficBecomesFlows(t *testing.T) {
	a := newAgent(t, "e2e-flows")
	a.start()
	l := labUp(t, a)
	ips := addrs(t, l)
	l.run("traffic", "--once")

	flows := flowsOf(observeJSON(t, a, "--since", "5m"))
	if len(flows) == 0 {
		t.Fatalf("no flows after traffic; agent log:\n%s", a.log)
	}
	from, to := flow.ObservationPoint_FROM_ENDPOINT, flow.ObservationPoint_TO_ENDPOINT
	eg, in := flow.TrafficDirection_EGRESS, flow.TrafficDirection_INGRESS
	var wants []flowWant
	for _, v6 := range []bool{false, true} {
		fam := map[bool]string{false: "v4", true: "v6"}[v6]
		wants = append(wants,
			flowWant{name: "http request leaves frontend " + fam, src: "frontend", dst: "catalog", srcNS: "shop", dstNS: "shop", proto: "tcp", dport: 8080, v6: v6, obs: from, dir: eg, srcLabel: "app=frontend"},
			flowWant{name: "http request reaches catalog " + fam, src: "frontend", dst: "catalog", srcNS: "shop", dstNS: "shop", proto: "tcp", dport: 8080, v6: v6, obs: to, dir: in, srcLabel: "app=frontend"},
			flowWant{name: "http reply leaves catalog " + fam, src: "catalog", dst: "frontend", srcNS: "shop", dstNS: "shop", proto: "tcp", dport: 8080, v6: v6, obs: from, dir: in, reply: true},
			flowWant{name: "http reply reaches frontend " + fam, src: "catalog", dst: "frontend", srcNS: "shop", dstNS: "shop", proto: "tcp", dport: 8080, v6: v6, obs: to, dir: eg, reply: true},
			flowWant{name: "udp to metrics " + fam, src: "catalog", dst: "metrics", srcNS: "shop", dstNS: "infra", proto: "udp", dport: 8125, v6: v6, obs: to, dir: in},
			flowWant{name: "udp reply from metrics " + fam, src: "metrics", dst: "catalog", srcNS: "infra", dstNS: "shop", proto: "udp", dport: 8125, v6: v6, obs: from, dir: in, reply: true},
		)
	}
	wants = append(wants,
		flowWant{name: "dns query", src: "frontend", dst: "coredns", srcNS: "shop", dstNS: "infra", proto: "udp", dport: 53, obs: from, dir: eg},
		flowWant{name: "dns answer", src: "coredns", dst: "frontend", srcNS: "infra", dstNS: "shop", proto: "udp", dport: 53, obs: to, dir: eg, reply: true},
		flowWant{name: "icmpv4 echo request", src: "frontend", dst: "catalog", srcNS: "shop", dstNS: "shop", proto: "icmpv4", icmpType: 8, obs: from, dir: eg},
		flowWant{name: "icmpv4 echo reply", src: "catalog", dst: "frontend", srcNS: "shop", dstNS: "shop", proto: "icmpv4", icmpType: 0, obs: to, dir: eg, reply: true},
		flowWant{name: "icmpv6 echo request", src: "frontend", dst: "catalog", srcNS: "shop", dstNS: "shop", proto: "icmpv6", icmpType: 128, v6: true, obs: to, dir: in},
		flowWant{name: "icmpv6 echo reply", src: "catalog", dst: "frontend", srcNS: "shop", dstNS: "shop", proto: "icmpv6", icmpType: 129, v6: true, obs: from, dir: in, reply: true},
	)
	for _, w := range wants {
		if !slices.ContainsFunc(flows, func(f *flow.Flow) bool { return w.matches(f, ips) }) {
			t.Errorf("no flow for %q among %d flows", w.name, len(flows))
		}
	}
	if t.Failed() {
		for _, f := range flows[:min(len(flows), 40)] {
			t.Logf("%v", f)
		}
	}

	t.Run("filters narrow", func(t *testing.T) {
		cases := []struct {
			args []string
			ok   func(*flow.Flow) bool
		}{
			{[]string{"--from-label", "app=frontend", "--protocol", "udp"}, func(f *flow.Flow) bool {
				return slices.Contains(f.GetSource().GetLabels(), "app=frontend") && f.GetL4().GetUdp() != nil
			}},
			{[]string{"--to-workload", "db", "--to-namespace", "shop"}, func(f *flow.Flow) bool {
				return f.GetDestination().GetWorkload() == "db"
			}},
			{[]string{"--ip", ips["metrics"][1]}, func(f *flow.Flow) bool {
				return f.GetIp().GetSource() == ips["metrics"][1] || f.GetIp().GetDestination() == ips["metrics"][1]
			}},
			{[]string{"--not", "--protocol", "tcp", "--traffic-direction", "ingress"}, func(f *flow.Flow) bool {
				return f.GetL4().GetTcp() == nil && f.GetTrafficDirection() == flow.TrafficDirection_INGRESS
			}},
			{[]string{"--type", "trace:to-endpoint", "--port", "8080"}, func(f *flow.Flow) bool {
				return f.GetObservationPoint() == flow.ObservationPoint_TO_ENDPOINT &&
					(f.GetL4().GetTcp().GetSourcePort() == 8080 || f.GetL4().GetTcp().GetDestinationPort() == 8080)
			}},
		}
		for _, c := range cases {
			got := flowsOf(observeJSON(t, a, append([]string{"--since", "5m"}, c.args...)...))
			if len(got) == 0 || len(got) >= len(flows) {
				t.Errorf("%v: %d of %d flows; want a non-empty subset", c.args, len(got), len(flows))
			}
			for _, f := range got {
				if !c.ok(f) {
					t.Errorf("%v let through %v", c.args, f)
					break
				}
			}
		}
		last := flowsOf(observeJSON(t, a, "--last", "7", "--from-workload", "frontend"))
		if len(last) != 7 {
			t.Errorf("--last 7 returned %d flows", len(last))
		}
	})

	t.Run("follow delivers a new connection within a second", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		cmd := exec.CommandContext(ctx, loupeBin, "observe", "-f", "--server", a.server(), "-o", "json", "--to-port", "8080", "--from-workload", "cart")
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		lines := make(chan string, 100)
		go func() {
			sc := bufio.NewScanner(stdout)
			for sc.Scan() {
				lines <- sc.Text()
			}
			close(lines)
		}()
		time.Sleep(500 * time.Millisecond) // let the stream open
		port := 40000 + time.Now().Nanosecond()%20000
		start := time.Now()
		go l.run("exec", "cart", "--", "curl", "-s", "-o", "/dev/null", "--local-port", fmt.Sprint(port),
			fmt.Sprintf("http://%s:8080/", ips["catalog"][0]))
		deadline := time.After(5 * time.Second)
		for {
			select {
			case line, ok := <-lines:
				if !ok {
					t.Fatal("observe -f ended")
				}
				if strings.Contains(line, fmt.Sprintf(`"sourcePort":%d`, port)) {
					if d := time.Since(start); d > time.Second {
						t.Errorf("new connection took %s to appear; want within 1s", d)
					}
					return
				}
			case <-deadline:
				t.Fatal("new connection never appeared in observe -f")
			}
		}
	})
}

// drain reads a whole GetFlows stream.
func drain(t testing.TB, a *agentProc, req *observer.GetFlowsRequest) []*observer.GetFlowsResponse {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	stream, err := observer.NewObserverClient(a.client()).GetFlows(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	var out []*observer.GetFlowsResponse
	for {
		r, err := stream.Recv()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, r)
	}
}
