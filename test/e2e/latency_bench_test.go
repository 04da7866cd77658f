package e2e

import (
	"bufio"
	"fmt"
	"os/exec"
	"slices"
	"syscall"
	"testing"
	"time"

	"google.golang.org/protobuf/encoding/protojson"

	"github.com/loupe-dev/loupe/api/observer"
)

// BenchmarkLiveLatency measures how long a flow takes from the kernel event
// (the flow's time) to its line in `loupe observe -f`: through the relay
// (two nodes merged by the sort window), and, as the baseline in the same
// run, straight from the agent.
func BenchmarkLiveLatency(b *testing.B) {
	for b.Loop() {
		cluster := b.TempDir()
		a, addrA := newClusterAgent(b, "lat-a", cluster)
		c, addrC := newClusterAgent(b, "lat-b", cluster)
		a.start()
		c.start()
		la, lc := labUp(b, a), labUp(b, c)
		r := startRelay(b, "--peers", fmt.Sprintf("lat-a=%s,lat-b=%s", addrA, addrC))
		r.waitNodes(observer.NodeState_NODE_CONNECTED, "lat-a", "lat-b")
		for _, l := range []*lab{la, lc} {
			traffic := exec.Command(loupeBin, "lab", "traffic", "--state-dir", l.stateDir, "--name", l.name)
			if err := traffic.Start(); err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { traffic.Process.Signal(syscall.SIGTERM); traffic.Wait() })
		}
		const dur = 20 * time.Second
		report := func(name string, lat []time.Duration) {
			if len(lat) == 0 {
				b.Fatalf("%s: no flows", name)
			}
			slices.Sort(lat)
			q := func(p float64) float64 { return float64(lat[int(p*float64(len(lat)-1))].Microseconds()) / 1000 }
			b.ReportMetric(q(0.5), name+"-p50-ms")
			b.ReportMetric(q(0.99), name+"-p99-ms")
			b.ReportMetric(float64(len(lat))/dur.Seconds(), name+"-flows/s")
		}
		done := make(chan []time.Duration, 2)
		go func() { done <- followLatency(b, r.addr, dur) }()
		go func() { done <- followLatency(b, a.server(), dur) }()
		first, second := <-done, <-done
		// The relay's stream carries both nodes: it is the bigger one.
		if len(first) < len(second) {
			first, second = second, first
		}
		report("relay", first)
		report("agent", second)
	}
}

// followLatency runs observe -f against server for dur and returns, per
// flow, the time from the flow's kernel timestamp to its line arriving.
func followLatency(b *testing.B, server string, dur time.Duration) []time.Duration {
	cmd := exec.Command(loupeBin, "observe", "--server", server, "-f", "-o", "json")
	out, err := cmd.StdoutPipe()
	if err != nil {
		b.Error(err)
		return nil
	}
	if err := cmd.Start(); err != nil {
		b.Error(err)
		return nil
	}
	stop := time.AfterFunc(dur, func() { cmd.Process.Signal(syscall.SIGTERM) })
	defer stop.Stop()
	var lat []time.Duration
	sc := bufio.NewScanner(out)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		now := time.Now()
		resp := &observer.GetFlowsResponse{}
		if protojson.Unmarshal(sc.Bytes(), resp) != nil || resp.GetFlow() == nil {
			continue
		}
		lat = append(lat, now.Sub(resp.GetFlow().GetTime().AsTime()))
	}
	cmd.Wait()
	return lat
}
