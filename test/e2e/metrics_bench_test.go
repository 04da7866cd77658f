package e2e

import (
	"fmt"
	"os/exec"
	"slices"
	"sync"
	"testing"
	"time"
)

// The load is fixed: ping paces itself at 1 ms (below that, iputils ping
// sends on every reply, a flood whose rate follows the machine's load), and
// pingsPerPair of them run for each of three pairs: 24k echoes a second,
// each four trace events (request and reply, from- and to-endpoint) with
// aggregation none.
const (
	pingInterval = "0.001"
	pingsPerPair = 8
)

// BenchmarkAgentMetricsCPU measures the agent's CPU at a fixed packet rate
// with every flow metric family on (contexts on flows and drops) and with
// flow metrics off, alternately in the same run, and prints the ratio.
func BenchmarkAgentMetricsCPU(b *testing.B) {
	const rounds = 3
	var off, on []float64
	for range b.N {
		for round := range rounds {
			// Sub-benchmark names become socket paths: no '#' suffixes.
			b.Run(fmt.Sprintf("round=%d/metrics=off", round), func(b *testing.B) { off = append(off, agentCPUAtFixedRate(b, "--metrics", "")) })
			b.Run(fmt.Sprintf("round=%d/metrics=all", round), func(b *testing.B) {
				on = append(on, agentCPUAtFixedRate(b, "--metrics",
					"flow:sourceContext=workload;destinationContext=workload,drop:sourceContext=namespace,policy,tcp,icmp,port-distribution,dns,http,kafka"))
			})
		}
	}
	mOff, mOn := mean(off), mean(on)
	if mOff > 0 && len(off) == len(on) {
		// Each round's pair ran back to back: the median of their ratios
		// is what a neighbour's load on a shared machine skews least.
		var ratios []float64
		for i := range off {
			ratios = append(ratios, (on[i]/off[i]-1)*100)
		}
		sorted := slices.Sorted(slices.Values(ratios))
		fmt.Printf("BENCH agent CPU (cores per 100k events/s): metrics off %.3f, all families on %.3f: mean %+.1f%%; per round %.1f%%, median %+.1f%%\n",
			mOff, mOn, (mOn/mOff-1)*100, ratios, sorted[len(sorted)/2])
	}
}

func mean(xs []float64) float64 {
	var s float64
	for _, x := range xs {
		s += x
	}
	if len(xs) == 0 {
		return 0
	}
	return s / float64(len(xs))
}

// agentCPUAtFixedRate runs an agent with extra flags under a fixed-rate
// ping load for 10 s and returns its CPU per 100k events a second.
func agentCPUAtFixedRate(b *testing.B, extra ...string) float64 {
	metricsAddr := freeLoopbackAddr(b)
	a := newAgent(b, "bench", append([]string{"--monitor-aggregation", "none", "--ring-buffer-size", "16777216", "--metrics-listen", metricsAddr}, extra...)...)
	a.start()
	l := labUp(b, a)
	ips := addrs(b, l)
	const dur = 10 * time.Second

	st0 := a.status()
	cpu0 := procCPU(b, a.cmd.Process.Pid)
	start := time.Now()
	var wg sync.WaitGroup
	for _, pair := range [][2]string{{"frontend", "catalog"}, {"cart", "db"}, {"metrics", "coredns"}} {
		for range pingsPerPair {
			wg.Add(1)
			go func() {
				defer wg.Done()
				exec.Command(loupeBin, "lab", "exec", "--state-dir", l.stateDir, pair[0], "--",
					"ping", "-q", "-i", pingInterval, "-w", fmt.Sprint(int(dur.Seconds())), "-s", "16", ips[pair[1]][0]).Run()
			}()
		}
	}
	wg.Wait()
	time.Sleep(500 * time.Millisecond) // let the collector drain
	elapsed := time.Since(start).Seconds()
	cpu := (procCPU(b, a.cmd.Process.Pid) - cpu0) / elapsed
	seen := float64(a.status().GetSeenFlows() - st0.GetSeenFlows())
	rate := seen / elapsed
	b.ReportMetric(rate, "events/s")
	b.ReportMetric(cpu, "agent-cores")
	if rate == 0 {
		b.Fatal("no events")
	}
	perRate := cpu / (rate / 100000)
	b.ReportMetric(perRate, "cores/100k-events/s")
	return perRate
}
