package collector

import (
	"io"
	"log/slog"
	"net/netip"
	"testing"
	"time"

	"github.com/cilium/ebpf"
	"go.uber.org/goleak"

	"github.com/loupe-dev/loupe/api/flow"
	"github.com/loupe-dev/loupe/api/labels"
	"github.com/loupe-dev/loupe/collector/parser"
	"github.com/loupe-dev/loupe/datapath/loader"
	"github.com/loupe-dev/loupe/datapath/maps"
	"github.com/loupe-dev/loupe/internal/testutil"
)

type noEndpoints struct{}

func (noEndpoints) ByID(uint16) (*flow.Endpoint, bool)     { return nil, false }
func (noEndpoints) ByIP(netip.Addr) (*flow.Endpoint, bool) { return nil, false }
func (noEndpoints) IPText(a netip.Addr) string             { return a.String() }
func (noEndpoints) InterfaceName(uint32) string            { return "" }
func (noEndpoints) Labels(uint32) (labels.Set, bool)       { return nil, false }

// TestCollectorReadsKernelEvents runs the real program, and checks that the
// collector turns its events into flows, then stops without leaking.
func TestCollectorReadsKernelEvents(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	dir := testutil.TempBPFFS(t)
	cfg := loader.DefaultConfig()
	cfg.PinDir = dir
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	objs, err := loader.Load(cfg, log)
	if err != nil {
		t.Fatal(err)
	}
	defer objs.Close()
	if err := maps.NewEndpoints(objs.Endpoints).Set(1, 1, 300, []netip.Addr{netip.MustParseAddr("10.0.0.1")}); err != nil {
		t.Fatal(err)
	}
	p := parser.New("test", func() parser.Endpoints { return noEndpoints{} }, noEndpoints{}, nil)
	c, err := New(Config{NodeName: "test", RingSize: 16, LossInterval: 50 * time.Millisecond}, log, objs.Events, objs.LostEvents, p)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	pkt := testutil.Packet{Src: netip.MustParseAddr("10.0.0.1"), Dst: netip.MustParseAddr("10.0.0.2"), Proto: 17, SrcPort: 1, DstPort: 2}
	if _, err := objs.FromEndpoint.Run(&ebpf.RunOptions{Data: pkt.Bytes(), Repeat: 1}); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(2 * time.Second)
	for c.Stats().Seen == 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	e, _, _, ok := c.Ring().Read(0)
	if !ok || e.Flow.GetL4().GetUdp().GetDestinationPort() != 2 || e.Flow.GetDestination().GetIdentity() != 2 {
		t.Fatalf("ring entry = %v, %v; want the UDP flow to world", e.Flow, ok)
	}
	if err := c.Stop(); err != nil {
		t.Fatal(err)
	}
}
