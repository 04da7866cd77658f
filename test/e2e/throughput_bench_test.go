package e2e

import (
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// BenchmarkAgentThroughput floods the lab with small packets, one trace
// event per packet (aggregation none), and measures what the agent moves from
// the ring buffer into its flow ring, and the CPU it spends doing so. The
// baseline is the kernel's own event rate in the same run: delivered/(seen +
// lost) says how much of it the agent kept up with.
func BenchmarkAgentThroughput(b *testing.B) {
	for b.Loop() {
		benchThroughput(b)
	}
}

func benchThroughput(b *testing.B) {
	a := newAgent(b, "bench", "--monitor-aggregation", "none", "--ring-buffer-size", "16777216")
	a.start()
	l := labUp(b, a)
	ips := addrs(b, l)
	const dur = 10 * time.Second

	st0 := a.status()
	cpu0 := procCPU(b, a.cmd.Process.Pid)
	start := time.Now()
	var wg sync.WaitGroup
	for _, pair := range [][2]string{{"frontend", "catalog"}, {"cart", "db"}, {"metrics", "coredns"}} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cmd := exec.Command(loupeBin, "lab", "exec", "--state-dir", l.stateDir, pair[0], "--",
				"ping", "-f", "-q", "-w", strconv.Itoa(int(dur.Seconds())), "-s", "16", ips[pair[1]][0])
			cmd.Run()
		}()
	}
	wg.Wait()
	time.Sleep(500 * time.Millisecond) // let the collector drain
	elapsed := time.Since(start).Seconds()
	st1 := a.status()
	cpu := (procCPU(b, a.cmd.Process.Pid) - cpu0) / elapsed

	seen := float64(st1.GetSeenFlows() - st0.GetSeenFlows())
	lost := float64(st1.GetNumLostEvents() - st0.GetNumLostEvents())
	rate := seen / elapsed
	b.ReportMetric(rate, "events/s")
	b.ReportMetric(cpu, "agent-cores")
	if rate > 0 {
		b.ReportMetric(cpu/(rate/100000), "cores/100k-events/s")
	}
	b.ReportMetric(lost/elapsed, "lost/s")
	if seen+lost > 0 {
		b.ReportMetric(seen/(seen+lost), "delivered-ratio")
	}
}

// procCPU returns the user+system CPU seconds of a process.
func procCPU(tb testing.TB, pid int) float64 {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		tb.Fatal(err)
	}
	f := strings.Fields(string(data[strings.LastIndexByte(string(data), ')')+2:]))
	ut, _ := strconv.ParseFloat(f[11], 64)
	st, _ := strconv.ParseFloat(f[12], 64)
	return (ut + st) / 100 // USER_HZ
}
