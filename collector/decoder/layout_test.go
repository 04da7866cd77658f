package decoder

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"flag"
	"io"
	"log/slog"
	"net/netip"
	"os"
	"path/filepath"
	"testing"
	"time"
	"unsafe"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/ringbuf"
	"github.com/google/go-cmp/cmp"

	"github.com/loupe-dev/loupe/datapath/loader"
	"github.com/loupe-dev/loupe/datapath/maps"
	"github.com/loupe-dev/loupe/internal/testutil"
)

var update = flag.Bool("update", false, "rewrite golden files")

// TestLayoutMatchesC compares the decoder with the Go type bpf2go generated
// from the C struct's BTF: same size, and every field at the same offset.
func TestLayoutMatchesC(t *testing.T) {
	if got := unsafe.Sizeof(loader.LoupeTraceEvent{}); got != TraceEventSize {
		t.Fatalf("sizeof(struct trace_event) = %d, decoder expects %d", got, TraceEventSize)
	}
	c := loader.LoupeTraceEvent{
		Type: TypeTrace, Version: EventVersion, ObsPoint: 2, Reason: 3, Family: 6, Proto: 17,
		TcpFlags: 0x12, Flags: 1, IcmpType: 8, IcmpCode: 9, EndpointId: 0x1011, Sport: 0x1213,
		Dport: 0x1415, Ifindex: 0x16171819, SrcIdentity: 0x20212223, DstIdentity: 0x24252627,
		PktLen: 0x28292a2b, TsNs: 0x3031323334353637, Packets: 0x4041424344454647, Bytes: 0x5051525354555657,
		RuleId: 0x90919293, Verdict: 2, DropReason: 133, MatchType: 3, PolicyFlags: 0x5,
	}
	for i := range c.Saddr {
		c.Saddr[i], c.Daddr[i] = byte(0x60+i), byte(0x80+i)
	}
	var buf bytes.Buffer
	if err := binary.Write(&buf, binary.LittleEndian, c); err != nil {
		t.Fatal(err)
	}
	var got TraceEvent
	if err := Decode(buf.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	want := TraceEvent{
		Type: c.Type, Version: c.Version, ObsPoint: c.ObsPoint, Reason: c.Reason, Family: c.Family,
		Proto: c.Proto, TCPFlags: c.TcpFlags, Flags: c.Flags, ICMPType: c.IcmpType, ICMPCode: c.IcmpCode,
		EndpointID: c.EndpointId, SrcPort: c.Sport, DstPort: c.Dport, Ifindex: c.Ifindex,
		SrcIdentity: c.SrcIdentity, DstIdentity: c.DstIdentity, PktLen: c.PktLen, TimeNs: c.TsNs,
		Packets: c.Packets, Bytes: c.Bytes, SrcAddr: c.Saddr, DstAddr: c.Daddr,
		RuleID: c.RuleId, Verdict: c.Verdict, DropReason: c.DropReason, MatchType: c.MatchType, PolicyFlags: c.PolicyFlags,
	}
	if diff := cmp.Diff(got, want); diff != "" {
		t.Fatalf("decoded fields differ from the C layout (-got +want):\n%s", diff)
	}
}

// TestKernelEventGolden runs the real from_endpoint program on crafted packets
// and compares the record the kernel writes with golden bytes (timestamp
// zeroed), then decodes it.
func TestKernelEventGolden(t *testing.T) {
	dir := testutil.TempBPFFS(t)
	cfg := loader.DefaultConfig()
	cfg.PinDir = dir
	objs, err := loader.Load(cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer objs.Close()
	// BPF_PROG_TEST_RUN runs on the loopback device: make it an endpoint.
	src4, src6 := netip.MustParseAddr("10.0.0.1"), netip.MustParseAddr("fd00::1")
	if err := maps.NewEndpoints(objs.Endpoints).Set(1, 7, 300, []netip.Addr{src4, src6}); err != nil {
		t.Fatal(err)
	}
	ipc := maps.NewIPCache(objs.Ipcache)
	for _, p := range []string{"10.1.0.0/16", "fd00:1::/64"} {
		if err := ipc.Upsert(netip.MustParsePrefix(p), 400); err != nil {
			t.Fatal(err)
		}
	}
	rd, err := ringbuf.NewReader(objs.Events)
	if err != nil {
		t.Fatal(err)
	}
	defer rd.Close()

	cases := []struct {
		name string
		pkt  testutil.Packet
		want TraceEvent
	}{
		{"tcp_syn_v4", testutil.Packet{Src: netip.MustParseAddr("10.0.0.1"), Dst: netip.MustParseAddr("10.1.2.3"), Proto: 6, SrcPort: 40000, DstPort: 8080, TCPFlags: 0x02},
			TraceEvent{Family: 4, Proto: 6, SrcPort: 40000, DstPort: 8080, TCPFlags: 0x02, SrcIdentity: 300, DstIdentity: 400}},
		{"udp_v6", testutil.Packet{Src: netip.MustParseAddr("fd00::1"), Dst: netip.MustParseAddr("fd00:1::53"), Proto: 17, SrcPort: 5353, DstPort: 53, Payload: 10},
			TraceEvent{Family: 6, Proto: 17, SrcPort: 5353, DstPort: 53, SrcIdentity: 300, DstIdentity: 400}},
		{"tcp_v6_ext_headers", testutil.Packet{Src: netip.MustParseAddr("fd00::1"), Dst: netip.MustParseAddr("fd00:1::80"), Proto: 6, SrcPort: 41000, DstPort: 443, TCPFlags: 0x02, IPv6ExtHeaders: true},
			TraceEvent{Family: 6, Proto: 6, SrcPort: 41000, DstPort: 443, TCPFlags: 0x02, SrcIdentity: 300, DstIdentity: 400}},
		{"icmp_v4_world", testutil.Packet{Src: netip.MustParseAddr("10.0.0.1"), Dst: netip.MustParseAddr("192.0.2.9"), Proto: 1, ICMPType: 8, ICMPID: 77},
			TraceEvent{Family: 4, Proto: 1, ICMPType: 8, SrcPort: 77, DstPort: 77, SrcIdentity: 300, DstIdentity: 2}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			data := tc.pkt.Bytes()
			if _, err := objs.FromEndpoint.Run(&ebpf.RunOptions{Data: data, Repeat: 1}); err != nil {
				t.Fatal(err)
			}
			rd.SetDeadline(time.Now().Add(time.Second))
			rec, err := rd.Read()
			if err != nil {
				t.Fatalf("no event from the kernel: %v", err)
			}
			raw := rec.RawSample[:TraceEventSize]
			var ev TraceEvent
			if err := Decode(raw, &ev); err != nil {
				t.Fatal(err)
			}
			if ev.TimeNs == 0 {
				t.Error("kernel event has no timestamp")
			}
			clear(raw[32:40]) // the timestamp differs per run
			golden := filepath.Join("testdata", tc.name+".golden")
			if *update {
				os.WriteFile(golden, []byte(hex.Dump(raw)), 0o644)
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run with -update to create)", err)
			}
			if got := hex.Dump(raw); got != string(want) {
				t.Errorf("kernel bytes differ from %s:\ngot:\n%swant:\n%s", golden, got, want)
			}
			w := tc.want
			w.Type, w.Version, w.ObsPoint, w.Reason, w.Verdict = TypeTrace, EventVersion, 1, ReasonNew, 1
			w.EndpointID, w.Ifindex, w.PktLen, w.Packets, w.Bytes = 7, 1, uint32(len(data)), 1, uint64(len(data))
			w.SrcAddr, w.DstAddr = tc.pkt.Src.As16(), tc.pkt.Dst.As16()
			if tc.pkt.Src.Is4() {
				w.SrcAddr, w.DstAddr = netip.AddrFrom16(tc.pkt.Src.As16()).As16(), netip.AddrFrom16(tc.pkt.Dst.As16()).As16()
			}
			ev.TimeNs = 0
			if diff := cmp.Diff(ev, w); diff != "" {
				t.Errorf("decoded kernel event (-got +want):\n%s", diff)
			}
		})
	}
}
