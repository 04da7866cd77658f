package e2e

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vishvananda/netns"
)

// The policy benchmark's sizes and ports.
const (
	pbRules    = 10000
	pbIperf    = 5201 // iperf3, started by the benchmark in the server
	pbEcho     = 8080 // the lab's echo server (testdata/bench.yaml)
	pbIperfDur = 5 * time.Second
	pbConnDur  = 3 * time.Second
	pbDialers  = 4
	pbRounds   = 3
)

// pbUnused is the i-th of the addresses the 10k non-matching rules name:
// 172.20.0.0 upwards, used by nothing.
func pbUnused(i int) string {
	var a [4]byte
	binary.BigEndian.PutUint32(a[:], 0xac140000+uint32(i))
	return netip.AddrFrom4(a).String()
}

type pbResult struct {
	name  string
	conns float64 // connections/s
	gbps  float64
}

// BenchmarkPolicyVsIptables compares, between two lab workloads and in one
// run, the connection rate and the TCP throughput of:
//
//   - none: the lab without an agent (no program attached);
//   - iptables-stateful: no agent; a chain jumped to from FORWARD for the
//     server's address with an ESTABLISHED,RELATED accept first (how
//     iptables rule sets are written), then 10k non-matching source rules,
//     the matching accepts last and a drop: new connections walk the chain;
//   - iptables-linear: the same chain without the conntrack accept: every
//     packet walks the 10k rules;
//   - loupe-nopolicy: the agent attached, no policy;
//   - loupe-10k: the agent enforcing the server's ingress with 10k rules
//     (one fromCIDR rule of 10k unused /32s, each its own identity) and the
//     rule that allows the client last.
//
// It also times `loupe policy apply` of the 10k rules (the CLI's wall time
// and the agent's own "took=") against `iptables-restore` of the same chain.
// Connection rate: pbDialers goroutines in the client's netns open a TCP
// connection to the echo server, send a byte, read it back and close with a
// reset (no TIME_WAIT), for pbConnDur. Throughput: iperf3 for pbIperfDur,
// one stream. Needs iperf3 (make deps) and iptables-restore (Debian
// package iptables).
func BenchmarkPolicyVsIptables(b *testing.B) {
	for _, tool := range []string{"iperf3", "iptables-restore", "iptables"} {
		if _, err := exec.LookPath(tool); err != nil {
			b.Fatalf("%s is missing: this benchmark needs iperf3 (make deps) and iptables-restore (apt-get install iptables)", tool)
		}
	}
	for b.Loop() {
		benchPolicyVsIptables(b)
	}
}

func benchPolicyVsIptables(b *testing.B) {
	topo := pbTopology(b)
	// Each configuration is measured pbRounds times, the rounds of the
	// configurations that share a lab interleaved, and "none" again at the
	// end (2*pbRounds); the median is reported.
	samples := map[string][]pbResult{}
	var order []string
	measure := func(name string, l *pbLab, ips map[string][2]string) {
		r := pbResult{name: name}
		r.conns = pbConnRate(b, l.netns("client"), ips["server"][0])
		r.gbps = pbIperf3(b, l, ips["server"][0])
		if samples[name] == nil {
			order = append(order, name)
		}
		samples[name] = append(samples[name], r)
	}

	// Without the agent: no filter, then iptables.
	bare := pbLabUp(b, topo, nil)
	ips := addrs(b, bare.lab)
	chain := fmt.Sprintf("LOUPEBENCH%d", os.Getpid())
	server, client := ips["server"][0], ips["client"][0]
	b.Cleanup(func() { pbIptablesRemove(chain, server) })
	var iptApply []time.Duration
	for range pbRounds {
		measure("none", bare, ips)
		iptApply = append(iptApply, pbIptablesRestore(b, chain, server, client, true))
		measure("iptables-stateful", bare, ips)
		pbIptablesRemove(chain, server)
		iptApply = append(iptApply, pbIptablesRestore(b, chain, server, client, false))
		measure("iptables-linear", bare, ips)
		pbIptablesRemove(chain, server)
	}
	bare.down()

	// With the agent.
	logFile := filepath.Join(b.TempDir(), "agent.log")
	a := newAgent(b, "policybench")
	pbStartAgent(a, logFile)
	l := pbLabUp(b, topo, a)
	ips = addrs(b, l.lab)
	for range pbRounds {
		measure("loupe-nopolicy", l, ips)
	}
	file := pbPolicyFile(b)
	start := time.Now()
	out, code, stderr := loupeCode(b, "policy", "apply", file, "--server", a.server(), "--timeout", "5m")
	cliApply := time.Since(start)
	if code != 0 || !revisionRe.MatchString(out) {
		log, _ := os.ReadFile(logFile)
		b.Fatalf("loupe policy apply of %d rules: exit %d: %s%s\nagent log (end): %s", pbRules, code, out, stderr, pbTail(log, 3000))
	}
	agentApply := pbAgentTook(b, logFile, pbRules)
	for range pbRounds {
		measure("loupe-10k", l, ips)
	}
	// No filter again, after: the machine's load drifts over the run, and
	// "none" measured on both sides of the loupe figures bounds the drift.
	l.down()
	bare = pbLabUp(b, topo, nil)
	ips = addrs(b, bare.lab)
	for range pbRounds {
		measure("none", bare, ips)
	}

	var res []pbResult
	for _, name := range order {
		rs := samples[name]
		r := pbResult{name: name, conns: pbMedian(rs, func(r pbResult) float64 { return r.conns }),
			gbps: pbMedian(rs, func(r pbResult) float64 { return r.gbps })}
		res = append(res, r)
	}
	get := func(name string) pbResult {
		for _, r := range res {
			if r.name == name {
				return r
			}
		}
		b.Fatalf("no result %s", name)
		return pbResult{}
	}
	iptMedian := time.Duration(pbMedian(iptApply, func(d time.Duration) float64 { return float64(d) }))
	none, nopol, lp := get("none"), get("loupe-nopolicy"), get("loupe-10k")
	st, lin := get("iptables-stateful"), get("iptables-linear")
	for _, r := range res {
		b.ReportMetric(r.conns, r.name+"-conn/s")
		b.ReportMetric(r.gbps, r.name+"-Gbit/s")
	}
	b.ReportMetric(lp.conns/none.conns, "loupe/none-conn")
	b.ReportMetric(lp.gbps/none.gbps, "loupe/none-tput")
	b.ReportMetric(lp.conns/st.conns, "loupe/iptables-conn")
	b.ReportMetric(float64(cliApply.Milliseconds()), "loupe-apply-cli-ms")
	b.ReportMetric(float64(agentApply.Microseconds())/1000, "loupe-apply-agent-ms")
	b.ReportMetric(pbMS(iptMedian), "iptables-restore-ms")

	var sum strings.Builder
	fmt.Fprintf(&sum, "policy enforcement between two lab workloads, %d rules, median of %d rounds (none: %d, before and after)\n", pbRules, pbRounds, 2*pbRounds)
	fmt.Fprintf(&sum, "%-18s %10s %9s %12s %12s\n", "config", "conn/s", "Gbit/s", "conn x none", "tput x none")
	for _, r := range res {
		fmt.Fprintf(&sum, "%-18s %10.0f %9.2f %12.2f %12.2f\n", r.name, r.conns, r.gbps, r.conns/none.conns, r.gbps/none.gbps)
	}
	for _, name := range order {
		fmt.Fprintf(&sum, "  samples %-18s", name)
		for _, r := range samples[name] {
			fmt.Fprintf(&sum, " %.0f/%.2f", r.conns, r.gbps)
		}
		sum.WriteString(" (conn/s / Gbit/s)\n")
	}
	fmt.Fprintf(&sum, "loupe-10k / none:              conn %.2f, throughput %.2f (aim >= 0.9)\n", lp.conns/none.conns, lp.gbps/none.gbps)
	fmt.Fprintf(&sum, "loupe-10k / loupe-nopolicy:    conn %.2f, throughput %.2f\n", lp.conns/nopol.conns, lp.gbps/nopol.gbps)
	fmt.Fprintf(&sum, "loupe-10k / iptables-stateful: conn %.2f, throughput %.2f (aim >= 2)\n", lp.conns/st.conns, lp.gbps/st.gbps)
	fmt.Fprintf(&sum, "loupe-10k / iptables-linear:   conn %.2f, throughput %.2f (aim >= 2)\n", lp.conns/lin.conns, lp.gbps/lin.gbps)
	fmt.Fprintf(&sum, "apply %d rules: loupe policy apply %.1f ms (agent's took= %.1f ms), iptables-restore %.1f ms (median of %d)\n",
		pbRules, pbMS(cliApply), pbMS(agentApply), pbMS(iptMedian), len(iptApply))
	fmt.Fprintf(&sum, "iptables-restore / loupe apply: %.4f by the CLI, %.4f by the agent (aim: loupe <= 100 ms and >= 10)\n",
		pbMS(iptMedian)/pbMS(cliApply), pbMS(iptMedian)/pbMS(agentApply))
	fmt.Print(sum.String())
}

func pbMedian[T any](xs []T, f func(T) float64) float64 {
	v := make([]float64, len(xs))
	for i, x := range xs {
		v[i] = f(x)
	}
	slices.Sort(v)
	return v[len(v)/2]
}

func pbTail(data []byte, n int) string {
	if len(data) > n {
		data = data[len(data)-n:]
	}
	return string(data)
}

func pbMS(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// pbTopology writes testdata/bench.yaml under a name unique to this process.
func pbTopology(b *testing.B) string {
	data, err := os.ReadFile("testdata/bench.yaml")
	if err != nil {
		b.Fatal(err)
	}
	topo := strings.Replace(string(data), "name: policybench", fmt.Sprintf("name: pb%d", os.Getpid()%100000), 1)
	file := filepath.Join(b.TempDir(), "bench.yaml")
	if err := os.WriteFile(file, []byte(topo), 0o644); err != nil {
		b.Fatal(err)
	}
	return file
}

// pbLab is a lab that can be taken down before the benchmark ends (the
// labs with and without the agent use the same pools, one after the other).
type pbLab struct {
	lab  *lab
	name string
	once sync.Once
	b    *testing.B
	args []string
}

// pbLabUp brings the topology up registered with a, or without an agent
// when a is nil.
func pbLabUp(b *testing.B, topo string, a *agentProc) *pbLab {
	b.Helper()
	name := fmt.Sprintf("pb%d", os.Getpid()%100000)
	l := &pbLab{b: b, name: name, lab: &lab{t: b, name: name, stateDir: filepath.Join(b.TempDir(), "lab"), agent: a}}
	up := []string{"lab", "up", "--topology", topo, "--state-dir", l.lab.stateDir}
	l.args = []string{"lab", "down", "--name", name, "--state-dir", l.lab.stateDir}
	if a == nil {
		up = append(up, "--no-register")
	} else {
		up = append(up, "--server", a.server())
		l.args = append(l.args, "--server", a.server())
	}
	b.Cleanup(l.down)
	loupe(b, up...)
	return l
}

func (l *pbLab) down() {
	l.once.Do(func() {
		if _, code, stderr := loupeCode(l.b, l.args...); code != 0 {
			l.b.Errorf("lab down: exit %d: %s", code, stderr)
		}
	})
}

func (l *pbLab) netns(workload string) string {
	ns := netnsOf(l.lab)[workload]
	if ns == "" {
		l.b.Fatalf("no netns for workload %s", workload)
	}
	return ns
}

// pbStartAgent starts a like agentProc.start, with the log in a file that
// can be read while the agent runs.
func pbStartAgent(a *agentProc, logFile string) {
	a.t.Helper()
	f, err := os.Create(logFile)
	if err != nil {
		a.t.Fatal(err)
	}
	a.t.Cleanup(func() { f.Close() })
	args := append([]string{"agent", "--node-name", a.node, "--bpf-root", a.bpfRoot, "--state-dir", a.stateDir,
		"--socket", a.socket, "--listen", "", "--loss-interval", "200ms",
		"--cluster-dir", filepath.Join(filepath.Dir(a.socket), "cluster")}, a.extra...)
	a.cmd = exec.Command(loupeBin, args...)
	a.log = &bytes.Buffer{}
	a.cmd.Stdout, a.cmd.Stderr = f, f
	if err := a.cmd.Start(); err != nil {
		a.t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { a.cmd.Wait(); close(exited) }()
	for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		select {
		case <-exited:
			out, _ := os.ReadFile(logFile)
			a.t.Fatalf("agent exited: %s", out)
		default:
		}
		if a.status() != nil {
			return
		}
	}
	out, _ := os.ReadFile(logFile)
	a.t.Fatalf("agent did not come up: %s", out)
}

var pbTookRe = regexp.MustCompile(`policy revision installed.* rules=(\d+) took=(\S+)`)

// pbAgentTook returns the agent's own time for the last revision installed
// with at least min rules.
func pbAgentTook(b *testing.B, logFile string, min int) time.Duration {
	data, err := os.ReadFile(logFile)
	if err != nil {
		b.Fatal(err)
	}
	var took time.Duration
	for _, m := range pbTookRe.FindAllStringSubmatch(string(data), -1) {
		var n int
		fmt.Sscan(m[1], &n)
		if d, err := time.ParseDuration(m[2]); err == nil && n >= min {
			took = d
		}
	}
	if took == 0 {
		b.Fatalf("no \"policy revision installed\" line with %d+ rules in the agent's log", min)
	}
	return took
}

// pbPolicyFile writes the server's ingress policy: 10k /32s of unused
// addresses, then the rule that allows the client.
func pbPolicyFile(b *testing.B) string {
	var s strings.Builder
	s.WriteString("apiVersion: loupe.dev/v1\nkind: LoupeNetworkPolicy\nmetadata: {name: bench-10k, namespace: bench}\n")
	s.WriteString("spec:\n  endpointSelector: {matchLabels: {app: server}}\n  ingress:\n    - fromCIDR:\n")
	for i := range pbRules {
		fmt.Fprintf(&s, "        - %s/32\n", pbUnused(i))
	}
	fmt.Fprintf(&s, "    - fromEndpoints: [{matchLabels: {app: client}}]\n      toPorts:\n        - ports:\n")
	fmt.Fprintf(&s, "            - {port: \"%d\", protocol: TCP}\n            - {port: \"%d\", protocol: TCP}\n", pbIperf, pbEcho)
	file := filepath.Join(b.TempDir(), "policy-10k.yaml")
	if err := os.WriteFile(file, []byte(s.String()), 0o644); err != nil {
		b.Fatal(err)
	}
	return file
}

// pbIptablesRestore installs chain (10k non-matching source rules, the
// client's accepts last, then a drop) and the FORWARD jump to it for
// traffic to server, with one iptables-restore, and returns its wall time.
func pbIptablesRestore(b *testing.B, chain, server, client string, stateful bool) time.Duration {
	var s strings.Builder
	fmt.Fprintf(&s, "*filter\n:%s - [0:0]\n", chain)
	if stateful {
		fmt.Fprintf(&s, "-A %s -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT\n", chain)
	}
	for i := range pbRules {
		fmt.Fprintf(&s, "-A %s -s %s/32 -j ACCEPT\n", chain, pbUnused(i))
	}
	for _, port := range []int{pbIperf, pbEcho} {
		fmt.Fprintf(&s, "-A %s -s %s/32 -p tcp -m tcp --dport %d -j ACCEPT\n", chain, client, port)
	}
	fmt.Fprintf(&s, "-A %s -j DROP\n-I FORWARD 1 -d %s/32 -j %s\nCOMMIT\n", chain, server, chain)
	cmd := exec.Command("iptables-restore", "--noflush")
	cmd.Stdin = strings.NewReader(s.String())
	start := time.Now()
	out, err := cmd.CombinedOutput()
	took := time.Since(start)
	if err != nil {
		b.Fatalf("iptables-restore: %v: %s", err, out)
	}
	return took
}

// pbIptablesRemove removes the jump and the chain; missing ones are fine.
func pbIptablesRemove(chain, server string) {
	for exec.Command("iptables", "-D", "FORWARD", "-d", server+"/32", "-j", chain).Run() == nil {
	}
	exec.Command("iptables", "-F", chain).Run()
	exec.Command("iptables", "-X", chain).Run()
}

// pbConnRate opens connections from the client's netns to the echo server
// for pbConnDur and returns completed connections per second.
func pbConnRate(b *testing.B, clientNS, server string) float64 {
	addr := net.JoinHostPort(server, fmt.Sprint(pbEcho))
	// Wait for the echo server (and, with a policy, for the path) to answer.
	for i := 0; ; i++ {
		err := pbInNetNS(clientNS, func() error {
			c, err := net.DialTimeout("tcp", addr, time.Second)
			if err == nil {
				c.Close()
			}
			return err
		})
		if err == nil {
			break
		}
		if i == 50 {
			b.Fatalf("echo server %s unreachable from the client: %v", addr, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	var ok, failed atomic.Int64
	var firstErr pbFirstErr
	ctx, cancel := context.WithTimeout(context.Background(), pbConnDur)
	defer cancel()
	var wg sync.WaitGroup
	start := time.Now()
	for range pbDialers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := pbInNetNS(clientNS, func() error {
				buf := []byte{'x'}
				d := net.Dialer{Timeout: time.Second}
				for ctx.Err() == nil {
					if err := pbOneConn(&d, addr, buf); err != nil {
						failed.Add(1)
						firstErr.set(err)
						continue
					}
					ok.Add(1)
				}
				return nil
			})
			if err != nil {
				firstErr.set(err)
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start).Seconds()
	if err := firstErr.get(); err != nil && ok.Load() == 0 {
		b.Fatalf("connection loop: no connection succeeded: %v", err)
	}
	if f := failed.Load(); f > ok.Load()/100 {
		b.Logf("connection loop: %d of %d connections failed, first: %v", f, f+ok.Load(), firstErr.get())
	}
	return float64(ok.Load()) / elapsed
}

// pbFirstErr keeps the first error of several goroutines.
type pbFirstErr struct {
	mu  sync.Mutex
	err error
}

func (e *pbFirstErr) set(err error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.err == nil {
		e.err = err
	}
}

func (e *pbFirstErr) get() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.err
}

// pbInNetNS runs f on a thread moved into a workload's netns, and moves the
// thread back before releasing it: a thread left in the netns could be the
// process's main thread, which Go never ends, and `lab down` stops every
// process whose main thread is in a lab's netns.
func pbInNetNS(name string, f func() error) error {
	runtime.LockOSThread()
	orig, err := netns.Get()
	if err != nil {
		runtime.UnlockOSThread()
		return err
	}
	defer orig.Close()
	ns, err := netns.GetFromPath(filepath.Join("/run/netns", name))
	if err != nil {
		runtime.UnlockOSThread()
		return err
	}
	defer ns.Close()
	if err := netns.Set(ns); err != nil {
		runtime.UnlockOSThread()
		return err
	}
	defer func() {
		if netns.Set(orig) == nil {
			runtime.UnlockOSThread() // back home: reusable
		} // else stay locked: the thread ends with the goroutine
	}()
	return f()
}

func pbOneConn(d *net.Dialer, addr string, buf []byte) error {
	c, err := d.Dial("tcp", addr)
	if err != nil {
		return err
	}
	tc := c.(*net.TCPConn)
	defer func() { tc.SetLinger(0); tc.Close() }() // a reset: no TIME_WAIT
	tc.SetDeadline(time.Now().Add(time.Second))
	if _, err := tc.Write(buf); err != nil {
		return err
	}
	if _, err := io.ReadFull(tc, buf); err != nil {
		return err
	}
	return nil
}

// pbIperf3 runs an iperf3 server in the server workload (one test) and the
// client in the client workload, and returns the received Gbit/s.
func pbIperf3(b *testing.B, l *pbLab, server string) float64 {
	srv := exec.Command(loupeBin, "lab", "exec", "--state-dir", l.lab.stateDir, "server", "--",
		"iperf3", "-s", "-1", "-p", fmt.Sprint(pbIperf))
	var srvOut bytes.Buffer
	srv.Stdout, srv.Stderr = &srvOut, &srvOut
	if err := srv.Start(); err != nil {
		b.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Wait() }()
	defer func() {
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			srv.Process.Kill()
			<-done
		}
	}()
	var lastErr string
	for i := 0; i < 50; i++ {
		cmd := exec.Command(loupeBin, "lab", "exec", "--state-dir", l.lab.stateDir, "client", "--",
			"iperf3", "-c", server, "-p", fmt.Sprint(pbIperf), "-t", fmt.Sprint(int(pbIperfDur.Seconds())), "-J")
		var out, errb bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errb
		err := cmd.Run()
		var rep struct {
			Error string `json:"error"`
			End   struct {
				SumReceived struct {
					BitsPerSecond float64 `json:"bits_per_second"`
				} `json:"sum_received"`
			} `json:"end"`
		}
		if jerr := json.Unmarshal(out.Bytes(), &rep); jerr == nil && rep.Error == "" && rep.End.SumReceived.BitsPerSecond > 0 {
			return rep.End.SumReceived.BitsPerSecond / 1e9
		}
		lastErr = fmt.Sprintf("%v: %s %s %s", err, rep.Error, errb.String(), out.String())
		var ee *exec.ExitError
		if !errors.As(err, &ee) && err != nil {
			break
		}
		time.Sleep(100 * time.Millisecond) // the server is not listening yet
	}
	b.Fatalf("iperf3 client: %s (server: %s)", lastErr, srvOut.String())
	return 0
}
