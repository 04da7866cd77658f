package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"
	"time"

	labpkg "github.com/loupe-dev/loupe/deploy/lab"
)

// BenchmarkL7Proxy measures HTTP and DNS through the node's proxy against
// the same servers direct, in one run and one lab: first with shop.yaml
// (L3/L4 policy, nothing proxied), then with shop-l7.yaml (the frontend's
// calls to catalog and its DNS go through the proxy). HTTP: hey from
// Debian, keep-alive, 1 KiB responses, at 1k requests/s and at the maximum
// rate; the proxy's CPU is the agent's CPU in the proxied run minus the
// direct run's. DNS: queries/s of a Go load generator over UDP.
//
//	LOUPE_BIN=bin/loupe go test -run '^$' -bench L7Proxy -benchtime 1x ./test/e2e
func BenchmarkL7Proxy(b *testing.B) {
	for _, bin := range []string{"hey"} {
		if _, err := exec.LookPath(bin); err != nil {
			if out, err := exec.Command("apt-get", "install", "-y", "-q", bin).CombinedOutput(); err != nil {
				b.Fatalf("install %s: %v\n%s", bin, err, out)
			}
		}
	}
	dnsload := filepath.Join(b.TempDir(), "dnsload")
	if out, err := exec.Command("go", "build", "-o", dnsload, "../../datapath/proxy/dns/dnsload").CombinedOutput(); err != nil {
		b.Fatalf("build dnsload: %v\n%s", err, out)
	}
	secs := 10
	if s, err := strconv.Atoi(os.Getenv("LOUPE_BENCH_SECONDS")); err == nil && s > 0 {
		secs = s
	}
	a := newAgent(b, "bench")
	a.start()
	l := labUp(b, a)
	applyPolicy(b, a, "../../deploy/lab/policies/shop.yaml")
	ns := labpkg.NetNSName(l.name, "shop", "frontend")
	ws := addrs(b, l)
	url := "http://" + ws["catalog"][0] + ":8080/bytes/1024"
	dnsServer := ws["coredns"][0] + ":53"

	type result struct {
		rps, p50, p99, cores float64
	}
	hey := func(args ...string) result {
		t0 := procCPU(b, a.cmd.Process.Pid)
		start := time.Now()
		cmd := exec.Command("ip", append([]string{"netns", "exec", ns, "hey", "-z", fmt.Sprintf("%ds", secs)}, args...)...)
		out, err := cmd.CombinedOutput()
		if err != nil {
			b.Fatalf("hey: %v\n%s", err, out)
		}
		cores := (procCPU(b, a.cmd.Process.Pid) - t0) / time.Since(start).Seconds()
		return result{rps: heyFloat(b, out, `Requests/sec:\s+([0-9.]+)`), p50: 1000 * heyFloat(b, out, `50%+ in ([0-9.]+) secs`),
			p99: 1000 * heyFloat(b, out, `99%+ in ([0-9.]+) secs`), cores: cores}
	}
	dns := func() float64 {
		out, err := exec.Command("ip", "netns", "exec", ns, dnsload, "-server", dnsServer, "-net", "udp",
			"-name", "catalog.shop.svc.loupe", "-c", "8", "-d", fmt.Sprintf("%ds", secs)).CombinedOutput()
		if err != nil {
			b.Fatalf("dnsload: %v\n%s", err, out)
		}
		return heyFloat(b, out, `qps=([0-9.]+)`)
	}
	run := func(mode string) (fixed, maxed result, qps float64) {
		// 10 connections at 100 requests/s each: 1k requests/s.
		fixed = hey("-c", "10", "-q", "100", url)
		maxed = hey("-c", "50", url)
		qps = dns()
		fmt.Printf("BENCH l7 %s http_1k: rps=%.0f p50_ms=%.2f p99_ms=%.2f agent_cores=%.3f\n", mode, fixed.rps, fixed.p50, fixed.p99, fixed.cores)
		fmt.Printf("BENCH l7 %s http_max: rps=%.0f p50_ms=%.2f p99_ms=%.2f agent_cores=%.3f\n", mode, maxed.rps, maxed.p50, maxed.p99, maxed.cores)
		fmt.Printf("BENCH l7 %s dns_udp: qps=%.0f\n", mode, qps)
		return fixed, maxed, qps
	}
	b.ResetTimer()
	d1, dmax, dq := run("direct")
	applyPolicy(b, a, "../../deploy/lab/policies/shop-l7.yaml")
	p1, pmax, pq := run("proxied")
	b.StopTimer()
	fmt.Printf("BENCH l7 http_1k: added_p50_ms=%.2f added_p99_ms=%.2f proxy_cores_per_1k_rps=%.3f\n",
		p1.p50-d1.p50, p1.p99-d1.p99, (p1.cores-d1.cores)/(p1.rps/1000))
	fmt.Printf("BENCH l7 http_max: proxied/direct_rps=%.2f added_p50_ms=%.2f added_p99_ms=%.2f proxy_cores_per_1k_rps=%.3f\n",
		pmax.rps/dmax.rps, pmax.p50-dmax.p50, pmax.p99-dmax.p99, (pmax.cores-dmax.cores)/(pmax.rps/1000))
	fmt.Printf("BENCH l7 dns_udp: proxied/direct_qps=%.2f\n", pq/dq)
}

func heyFloat(b *testing.B, out []byte, expr string) float64 {
	m := regexp.MustCompile(expr).FindSubmatch(out)
	if m == nil {
		b.Fatalf("no %q in:\n%s", expr, out)
	}
	v, _ := strconv.ParseFloat(string(m[1]), 64)
	return v
}
