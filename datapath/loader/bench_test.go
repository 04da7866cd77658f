package loader

import (
	"errors"
	"net/netip"
	"path/filepath"
	"testing"

	"github.com/cilium/ebpf"

	"github.com/loupe-dev/loupe/internal/testutil"
)

// loadForBench loads the datapath with aggregation agg on a private bpffs,
// with the loopback device (where BPF_PROG_TEST_RUN runs) as an endpoint and
// a ring buffer drained in the background so reservations succeed.
func loadForBench(b *testing.B, agg Aggregation, drain bool) *LoupeObjects {
	dir := testutil.TempBPFFS(b)
	cfg := DefaultConfig()
	cfg.PinDir, cfg.Aggregation, cfg.RingBufferSize = filepath.Join(dir), agg, 256<<20
	objs, err := Load(cfg, testLog())
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { objs.Close() })
	ep := LoupeEndpointInfo{Identity: 300, EndpointId: 1, Flags: 3, Addr4: v4src.As4(), Addr6: v6src.As16()}
	if err := objs.Endpoints.Put(uint32(1), ep); err != nil {
		b.Fatal(err)
	}
	k := LoupeIpcacheKey{Prefixlen: 96 + 16, Addr: netip.MustParseAddr("::ffff:10.1.0.0").As16()}
	if err := objs.Ipcache.Put(k, LoupeIpcacheValue{Identity: 400}); err != nil {
		b.Fatal(err)
	}
	if !drain {
		return objs // 256 MiB hold every event of a 2M-packet run
	}
	testutil.DrainRingBuffer(b, objs.Events)
	return objs
}

func runBench(b *testing.B, p *ebpf.Program, pkt []byte) {
	_, d, err := p.Benchmark(pkt, b.N, nil)
	if errors.Is(err, ebpf.ErrNotSupported) {
		b.Fatal(err)
	}
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(d.Nanoseconds()), "ns/pkt")
}

var (
	v4src = netip.MustParseAddr("10.0.0.1")
	v4dst = netip.MustParseAddr("10.1.2.3")
	v6src = netip.MustParseAddr("fd00::1")
	v6dst = netip.MustParseAddr("fd00::2")
)

// BenchmarkTracePath measures the from-endpoint program per packet kind.
// The "event" cases emit an event for every packet (aggregation none), the
// worst case of the trace path: once with the collector's reader draining
// the ring on the other CPU (as in production: the consumer position's cache
// line moves between CPUs on every record), once with nobody reading. The
// others run with the default aggregation, where packets of known
// connections only update the connection's counters.
func BenchmarkTracePath(b *testing.B) {
	syn := testutil.Packet{Src: v4src, Dst: v4dst, Proto: 6, SrcPort: 40000, DstPort: 80, TCPFlags: 0x02}
	cases := []struct {
		name  string
		agg   Aggregation
		drain bool
		pkt   testutil.Packet
	}{
		{"tcp-syn-event-read", AggregationNone, true, syn},
		{"tcp-syn-event-unread", AggregationNone, false, syn},
		{"tcp-established", AggregationMedium, true, testutil.Packet{Src: v4src, Dst: v4dst, Proto: 6, SrcPort: 40000, DstPort: 80, TCPFlags: 0x10, Payload: 100}},
		{"udp", AggregationMedium, true, testutil.Packet{Src: v4src, Dst: v4dst, Proto: 17, SrcPort: 5000, DstPort: 53, Payload: 64}},
		{"ipv6-tcp", AggregationMedium, true, testutil.Packet{Src: v6src, Dst: v6dst, Proto: 6, SrcPort: 40000, DstPort: 80, TCPFlags: 0x10, Payload: 100}},
	}
	b.Run("baseline", func(b *testing.B) {
		testutil.RequireRoot(b)
		runBench(b, testutil.EmptyTCProgram(b), cases[0].pkt.Bytes())
	})
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			objs := loadForBench(b, c.agg, c.drain)
			runBench(b, objs.FromEndpoint, c.pkt.Bytes())
		})
	}
}
