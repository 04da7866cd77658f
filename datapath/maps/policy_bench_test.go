package maps

import (
	"encoding/binary"
	"fmt"
	"io"
	"log/slog"
	"net/netip"
	"testing"
	"time"

	"github.com/cilium/ebpf"

	"github.com/loupe-dev/loupe/datapath/loader"
	"github.com/loupe-dev/loupe/internal/testutil"
)

// ipcacheCap is max_entries of the ipcache LPM trie (bpf/maps.h): the most
// remote identities the datapath can resolve by address.
const ipcacheCap = 65536

// policyBench is the datapath loaded with n remote identities in the
// ipcache (one /32 each, 10.128.0.0 upwards) and a revision of n ingress
// rules for endpoint 5, rule i allowing identity i on TCP 8080.
type policyBench struct {
	objs    *loader.LoupeObjects
	n       int // rules
	sources int // identities resolvable through the ipcache
	setup   time.Duration
}

const (
	benchIdentity0 = 100000 // remote identities: benchIdentity0 + i
	benchPort      = 8080
)

func benchSource(i int) netip.Addr {
	var a [4]byte
	binary.BigEndian.PutUint32(a[:], 0x0a800000+uint32(i)) // 10.128.0.0 + i
	return netip.AddrFrom4(a)
}

func loadPolicyBench(b *testing.B, n int) *policyBench {
	b.Helper()
	dir := testutil.TempBPFFS(b)
	cfg := loader.DefaultConfig()
	cfg.PinDir, cfg.RingBufferSize = dir, 256<<20
	objs, err := loader.Load(cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { objs.Close() })
	// BPF_PROG_TEST_RUN runs on loopback (ifindex 1): endpoint 5 there.
	if err := NewEndpoints(objs.Endpoints).Set(1, 5, 300, []netip.Addr{local}); err != nil {
		b.Fatal(err)
	}
	start := time.Now()
	ipc := NewIPCache(objs.Ipcache)
	sources := min(n, ipcacheCap-16) // leave room: the trie is shared
	for i := range sources {
		if err := ipc.Upsert(netip.PrefixFrom(benchSource(i), 32), uint32(benchIdentity0+i)); err != nil {
			b.Fatalf("ipcache entry %d of %d: %v", i, n, err)
		}
	}
	rules := make([]Rule, n)
	for i := range rules {
		rules[i] = Rule{EndpointID: 5, Identity: uint32(benchIdentity0 + i), Proto: 6,
			PortLo: benchPort, PortHi: benchPort, RuleID: uint32(i + 1)}
	}
	pm := NewPolicyMaps(objs)
	if err := pm.Apply(1, map[uint16]EndpointPolicy{5: {Flags: PolicyIngress, DefaultRule: [2]uint32{90, 91}}}, rules); err != nil {
		b.Fatal(err)
	}
	setup := time.Since(start)
	testutil.DrainRingBuffer(b, objs.Events)
	return &policyBench{objs: objs, n: n, sources: sources, setup: setup}
}

// newConnPackets runs count distinct SYNs (Repeat=1 each), connection k from
// source k*stride mod sources and a source port that makes it new, and
// returns the kernel-timed cost per packet and the wall time per call.
// The kernel times each run around the program alone (plus two clock
// reads): the harness's syscall and skb setup are outside it.
func newConnPackets(b *testing.B, p *ebpf.Program, sources, offset, count int) (kernel, wall float64) {
	pkt := testutil.Packet{Src: benchSource(0), Dst: local, Proto: 6, SrcPort: 1, DstPort: benchPort, TCPFlags: 0x02}.Bytes()
	const stride = 7919 // a prime, coprime with every source count used here
	var sum time.Duration
	start := time.Now()
	for k := range count {
		c := offset + k
		binary.BigEndian.PutUint32(pkt[26:], 0x0a800000+uint32((c*stride)%sources))
		binary.BigEndian.PutUint16(pkt[34:], uint16(1024+(c/sources)%60000))
		ret, d, err := p.Benchmark(pkt, 1, nil)
		if err != nil {
			b.Fatal(err)
		}
		if ret != actOK {
			b.Fatalf("packet %d dropped (action %#x): the allowing rule did not match", c, ret)
		}
		sum += d
	}
	return float64(sum) / float64(count), float64(time.Since(start)) / float64(count)
}

type pathResult struct{ newNet, estNet, estCold, denyNet float64 }

// repeated runs pkt count times inside one BPF_PROG_TEST_RUN (hot caches)
// and returns the kernel's time per run; want is the expected action.
func repeated(b *testing.B, p *ebpf.Program, pkt []byte, count int, want uint32) float64 {
	ret, d, err := p.Benchmark(pkt, count, nil)
	if err != nil {
		b.Fatal(err)
	}
	if ret != want {
		b.Fatalf("action %#x, want %#x", ret, want)
	}
	return float64(d)
}

// singly runs pkt count times with Repeat=1, one syscall each (cold caches,
// as for every new connection below), and returns the kernel's time per run.
func singly(b *testing.B, p *ebpf.Program, pkt []byte, count int, want uint32) float64 {
	var sum time.Duration
	for range count {
		ret, d, err := p.Benchmark(pkt, 1, nil)
		if err != nil {
			b.Fatal(err)
		}
		if ret != want {
			b.Fatalf("action %#x, want %#x", ret, want)
		}
		sum += d
	}
	return float64(sum) / float64(count)
}

// BenchmarkPolicyPath measures the enforcement path of the to-endpoint
// program (ipcache lookup, policy decision, conntrack, events) with n remote
// identities and n rules, by BPF_PROG_TEST_RUN. Every figure has a net-ns/pkt
// next to it: net of the empty program measured the same way in the same
// run (baseline/...).
//
//   - new/<n>: the first packet of a new connection (ipcache, policy
//     decision, conntrack and flow-table entries created, a policy-verdict
//     and a trace event emitted). The kernel repeats the same packet, which
//     would be established from the second run on, so every b.N iteration is
//     a distinct SYN run once (Repeat=1), from the n sources in turn, timed
//     by the kernel around the program alone; the baseline is the empty
//     program run once per packet the same way (baseline/single).
//   - established/<n>: a packet of a known connection (conntrack hit,
//     counters only), repeated b.N times in one test run (hot caches).
//   - established-single/<n>: the same packet run once per syscall, as the
//     new connections are: what the per-call cold start alone costs (with
//     pti=on every syscall flushes the TLB, and the maps miss it afterwards).
//   - deny/<n>: a SYN to a port no rule allows, repeated in one test run.
//     Denied packets create no conntrack entry, so every run takes the whole
//     decision (conntrack miss, ipcache, every policy lookup, default deny;
//     the drop event is rate limited to the first): the policy decision with
//     hot caches.
//
// The ipcache holds at most 65,536 prefixes (bpf/maps.h), so at 100k the
// rules name 100k identities but only the first 65,520 have addresses.
// At the end it prints the net figures per n and the 100k/100 ratios.
func BenchmarkPolicyPath(b *testing.B) {
	testutil.RequireRoot(b)
	empty := testutil.EmptyTCProgram(b)
	est := testutil.Packet{Src: benchSource(0), Dst: local, Proto: 6, SrcPort: 64000, DstPort: benchPort, TCPFlags: 0x10, Payload: 100}
	var baseSingle, baseRepeat float64
	b.Run("baseline/single", func(b *testing.B) {
		k, w := newConnPackets(b, empty, 1000, 0, b.N)
		baseSingle = k
		b.ReportMetric(k, "ns/pkt")
		b.ReportMetric(w, "wall-ns/call")
	})
	b.Run("baseline/repeated", func(b *testing.B) {
		baseRepeat = repeated(b, empty, est.Bytes(), b.N, actOK)
		b.ReportMetric(baseRepeat, "ns/pkt")
	})
	results := map[int]*pathResult{}
	sizes := []int{100, 1000, 10000, 100000}
	for _, n := range sizes {
		pb := loadPolicyBench(b, n)
		r := &pathResult{}
		results[n] = r
		used := 0 // connections already opened on this datapath
		b.Run(fmt.Sprintf("new/%d", n), func(b *testing.B) {
			k, w := newConnPackets(b, pb.objs.ToEndpoint, pb.sources, used, b.N)
			used += b.N
			r.newNet = k - baseSingle
			b.ReportMetric(k, "ns/pkt")
			b.ReportMetric(r.newNet, "net-ns/pkt")
			b.ReportMetric(w, "wall-ns/call")
			b.ReportMetric(pb.setup.Seconds()*1000, "setup-ms")
		})
		// A connection from the middle source, opened once.
		e := est
		e.Src = benchSource(pb.sources / 2)
		syn := e
		syn.TCPFlags = 0x02
		if ret, _, err := pb.objs.ToEndpoint.Benchmark(syn.Bytes(), 1, nil); err != nil || ret != actOK {
			b.Fatalf("opening SYN: action %#x, %v", ret, err)
		}
		b.Run(fmt.Sprintf("established/%d", n), func(b *testing.B) {
			d := repeated(b, pb.objs.ToEndpoint, e.Bytes(), b.N, actOK)
			r.estNet = d - baseRepeat
			b.ReportMetric(d, "ns/pkt")
			b.ReportMetric(r.estNet, "net-ns/pkt")
		})
		b.Run(fmt.Sprintf("established-single/%d", n), func(b *testing.B) {
			d := singly(b, pb.objs.ToEndpoint, e.Bytes(), b.N, actOK)
			r.estCold = d - baseSingle
			b.ReportMetric(d, "ns/pkt")
			b.ReportMetric(r.estCold, "net-ns/pkt")
		})
		deny := syn
		deny.DstPort, deny.SrcPort = benchPort+1, 64001
		b.Run(fmt.Sprintf("deny/%d", n), func(b *testing.B) {
			d := repeated(b, pb.objs.ToEndpoint, deny.Bytes(), b.N, actShot)
			r.denyNet = d - baseRepeat
			b.ReportMetric(d, "ns/pkt")
			b.ReportMetric(r.denyNet, "net-ns/pkt")
		})
	}
	for _, n := range sizes {
		if results[n].newNet == 0 || results[n].estNet == 0 || results[n].estCold == 0 || results[n].denyNet == 0 {
			return // filtered by -bench: no summary
		}
	}
	fmt.Printf("policy path, ns/packet net of the empty program (baseline: %.1f ns once per syscall, %.1f ns repeated)\n", baseSingle, baseRepeat)
	fmt.Printf("%-8s %10s %13s %12s %10s %16s\n", "rules", "new conn", "established", "est. single", "deny", "new - est.single")
	for _, n := range sizes {
		r := results[n]
		fmt.Printf("%-8d %10.1f %13.1f %12.1f %10.1f %16.1f\n", n, r.newNet, r.estNet, r.estCold, r.denyNet, r.newNet-r.estCold)
	}
	lo, hi, mid := results[100], results[100000], results[10000]
	fmt.Printf("ratio 100k/100 (aim <= 1.5): new conn %.2f, established %.2f, deny %.2f\n",
		hi.newNet/lo.newNet, hi.estNet/lo.estNet, hi.denyNet/lo.denyNet)
	fmt.Printf("at 10k (aim <= 250 ns): new conn %.1f ns (%.1f beyond a single established packet), deny %.1f ns\n",
		mid.newNet, mid.newNet-mid.estCold, mid.denyNet)
}
