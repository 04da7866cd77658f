package collector

import (
	"encoding/hex"
	"io"
	"log/slog"
	"net/netip"
	"os"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/loupe-dev/loupe/api/flow"
	"github.com/loupe-dev/loupe/collector/decoder"
	"github.com/loupe-dev/loupe/collector/metrics"
	"github.com/loupe-dev/loupe/collector/parser"
)

// oneEndpoint resolves every address and id to the same workload, so that
// label contexts have something to read.
type oneEndpoint struct{ ep *flow.Endpoint }

func (o oneEndpoint) ByID(uint16) (*flow.Endpoint, bool)     { return o.ep, true }
func (o oneEndpoint) ByIP(netip.Addr) (*flow.Endpoint, bool) { return o.ep, true }
func (oneEndpoint) IPText(a netip.Addr) string               { return "10.0.0.1" }
func (oneEndpoint) InterfaceName(uint32) string              { return "lxc1" }

// goldenEvent reads a kernel record kept by the decoder's layout test.
func goldenEvent(tb testing.TB, name string) []byte {
	text, err := os.ReadFile("decoder/testdata/" + name + ".golden")
	if err != nil {
		tb.Fatal(err)
	}
	var raw []byte
	for line := range strings.Lines(string(text)) {
		if len(line) < 10 {
			continue
		}
		hexPart, _, _ := strings.Cut(line[10:], "|")
		b, err := hex.DecodeString(strings.ReplaceAll(hexPart, " ", ""))
		if err != nil {
			tb.Fatal(err)
		}
		raw = append(raw, b...)
	}
	return raw
}

// benchmarkHandle measures the reader's per-flow work: decode, parse,
// observe, write to the ring.
func benchmarkHandle(b *testing.B, observer FlowObserver) {
	ep := &flow.Endpoint{Id: 7, Identity: 300, Namespace: "shop", Workload: "frontend", Labels: []string{"app=frontend"}}
	view := oneEndpoint{ep}
	p := parser.New("bench", func() parser.Endpoints { return view }, noEndpoints{}, nil)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	c, err := New(Config{NodeName: "bench", RingSize: 4096, Observer: observer}, log, nil, nil, p)
	if err != nil {
		b.Fatal(err)
	}
	raws := [][]byte{goldenEvent(b, "tcp_syn_v4"), goldenEvent(b, "udp_v6"), goldenEvent(b, "icmp_v4_world")}
	var ev decoder.TraceEvent
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		c.handle(raws[i%len(raws)], &ev)
		i++
	}
}

func BenchmarkHandleMetricsOff(b *testing.B) { benchmarkHandle(b, nil) }

func BenchmarkHandleMetricsAll(b *testing.B) {
	m, err := metrics.New(metrics.DefaultConfig(), prometheus.NewRegistry())
	if err != nil {
		b.Fatal(err)
	}
	benchmarkHandle(b, m)
}

func BenchmarkHandleMetricsAllWithContexts(b *testing.B) {
	cfg := metrics.DefaultConfig()
	specs, err := metrics.ParseSpecs("flow:sourceContext=workload;destinationContext=workload,drop:sourceContext=namespace;destinationContext=identity,policy:sourceContext=app,tcp,icmp,port-distribution,dns,http,kafka")
	if err != nil {
		b.Fatal(err)
	}
	cfg.Specs = specs
	m, err := metrics.New(cfg, prometheus.NewRegistry())
	if err != nil {
		b.Fatal(err)
	}
	benchmarkHandle(b, m)
}
