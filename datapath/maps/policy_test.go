package maps

import (
	"io"
	"log/slog"
	"net/netip"
	"testing"
	"time"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/ringbuf"

	"github.com/loupe-dev/loupe/collector/decoder"
	"github.com/loupe-dev/loupe/datapath/loader"
	"github.com/loupe-dev/loupe/internal/testutil"
)

const (
	actOK   = 0xffffffff // TC_ACT_UNSPEC
	actShot = 2          // TC_ACT_SHOT
)

var (
	local  = netip.MustParseAddr("10.0.0.1")
	peerA  = netip.MustParseAddr("10.9.0.1") // identity 400
	peerB  = netip.MustParseAddr("10.9.1.1") // identity 401
	spoof  = netip.MustParseAddr("10.0.0.99")
	nextSP = uint16(30000)
)

type fixture struct {
	t    *testing.T
	objs *loader.LoupeObjects
	pm   *PolicyMaps
	rd   *ringbuf.Reader
	rev  uint64
}

func newFixture(t *testing.T) *fixture {
	dir := testutil.TempBPFFS(t)
	cfg := loader.DefaultConfig()
	cfg.PinDir = dir
	objs, err := loader.Load(cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { objs.Close() })
	// BPF_PROG_TEST_RUN runs on loopback (ifindex 1): endpoint 5 there.
	if err := NewEndpoints(objs.Endpoints).Set(1, 5, 300, []netip.Addr{local}); err != nil {
		t.Fatal(err)
	}
	ipc := NewIPCache(objs.Ipcache)
	ipc.Upsert(netip.MustParsePrefix("10.9.0.0/24"), 400)
	ipc.Upsert(netip.MustParsePrefix("10.9.1.0/24"), 401)
	rd, err := ringbuf.NewReader(objs.Events)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rd.Close() })
	return &fixture{t: t, objs: objs, pm: NewPolicyMaps(objs), rd: rd}
}

func (f *fixture) apply(flags uint32, rules ...Rule) {
	f.t.Helper()
	f.rev++
	if err := f.pm.Apply(f.rev, map[uint16]EndpointPolicy{5: {Flags: flags, DefaultRule: [2]uint32{90, 91}}}, rules); err != nil {
		f.t.Fatal(err)
	}
	if _, rev, _ := f.pm.Active(); rev != f.rev {
		f.t.Fatalf("active revision %d, want %d", rev, f.rev)
	}
}

// ingress sends a TCP packet from src to the endpoint's port through the
// to-endpoint program and returns the action and the events it produced.
func (f *fixture) run(prog *ebpf.Program, pkt testutil.Packet) (uint32, []decoder.TraceEvent) {
	f.t.Helper()
	ret, err := prog.Run(&ebpf.RunOptions{Data: pkt.Bytes(), Repeat: 1})
	if err != nil {
		f.t.Fatal(err)
	}
	var evs []decoder.TraceEvent
	for {
		f.rd.SetDeadline(time.Now().Add(20 * time.Millisecond))
		rec, err := f.rd.Read()
		if err != nil {
			return ret, evs
		}
		var e decoder.TraceEvent
		if err := decoder.Decode(rec.RawSample, &e); err != nil {
			f.t.Fatal(err)
		}
		evs = append(evs, e)
	}
}

func syn(src, dst netip.Addr, dport uint16) testutil.Packet {
	nextSP++
	return testutil.Packet{Src: src, Dst: dst, Proto: 6, SrcPort: nextSP, DstPort: dport, TCPFlags: 0x02}
}

func find(evs []decoder.TraceEvent, typ uint8) *decoder.TraceEvent {
	for i := range evs {
		if evs[i].Type == typ {
			return &evs[i]
		}
	}
	return nil
}

func TestPolicyDecisions(t *testing.T) {
	f := newFixture(t)
	in := f.objs.ToEndpoint
	cases := []struct {
		name       string
		flags      uint32
		rules      []Rule
		pkt        testutil.Packet
		wantAct    uint32
		wantReason uint8 // drop reason, for drops and audits
		wantMatch  uint8
		wantRule   uint32
		verdict    uint8
	}{
		{name: "no policy allows", pkt: syn(peerA, local, 8080), wantAct: actOK},
		{name: "default deny", flags: PolicyIngress, pkt: syn(peerA, local, 8080), wantAct: actShot, wantReason: 133, wantRule: 90, verdict: 2},
		{name: "allow by identity and port", flags: PolicyIngress,
			rules: []Rule{{EndpointID: 5, Identity: 400, Proto: 6, PortLo: 8080, PortHi: 8080, RuleID: 7}},
			pkt:   syn(peerA, local, 8080), wantAct: actOK, wantMatch: 2, wantRule: 7, verdict: 1},
		{name: "other port denied", flags: PolicyIngress,
			rules: []Rule{{EndpointID: 5, Identity: 400, Proto: 6, PortLo: 8080, PortHi: 8080, RuleID: 7}},
			pkt:   syn(peerA, local, 9090), wantAct: actShot, wantReason: 133, wantRule: 90, verdict: 2},
		{name: "other identity denied", flags: PolicyIngress,
			rules: []Rule{{EndpointID: 5, Identity: 400, Proto: 6, PortLo: 8080, PortHi: 8080, RuleID: 7}},
			pkt:   syn(peerB, local, 8080), wantAct: actShot, wantReason: 133, wantRule: 90, verdict: 2},
		{name: "port range, L4 only", flags: PolicyIngress,
			rules: []Rule{{EndpointID: 5, Proto: 6, PortLo: 8000, PortHi: 8100, RuleID: 8}},
			pkt:   syn(peerB, local, 8099), wantAct: actOK, wantMatch: 3, wantRule: 8, verdict: 1},
		{name: "past the range", flags: PolicyIngress,
			rules: []Rule{{EndpointID: 5, Proto: 6, PortLo: 8000, PortHi: 8100, RuleID: 8}},
			pkt:   syn(peerB, local, 8101), wantAct: actShot, wantReason: 133, wantRule: 90, verdict: 2},
		{name: "L3 only", flags: PolicyIngress,
			rules: []Rule{{EndpointID: 5, Identity: 401, RuleID: 9}},
			pkt:   syn(peerB, local, 1234), wantAct: actOK, wantMatch: 1, wantRule: 9, verdict: 1},
		{name: "deny beats allow", flags: PolicyIngress,
			rules: []Rule{{EndpointID: 5, Proto: 6, PortLo: 8080, PortHi: 8080, RuleID: 10},
				{EndpointID: 5, Identity: 401, Deny: true, RuleID: 11}},
			pkt: syn(peerB, local, 8080), wantAct: actShot, wantReason: 181, wantMatch: 1, wantRule: 11, verdict: 2},
		{name: "audit forwards would-be drops", flags: PolicyIngress | PolicyIngressAudit,
			pkt: syn(peerA, local, 8080), wantAct: actOK, wantReason: 133, wantRule: 90, verdict: 3},
		{name: "audit deny over an enforcing allow audits", flags: PolicyIngress,
			rules: []Rule{{EndpointID: 5, Identity: 400, Proto: 6, PortLo: 8080, PortHi: 8080, RuleID: 13},
				{EndpointID: 5, Identity: 400, Proto: 6, PortLo: 8080, PortHi: 8080, Deny: true, Audit: true, RuleID: 14}},
			pkt: syn(peerA, local, 8080), wantAct: actOK, wantReason: 181, wantMatch: 2, wantRule: 14, verdict: 3},
		{name: "an audit allow does not lift an enforcing default deny", flags: PolicyIngress,
			rules: []Rule{{EndpointID: 5, Identity: 400, Proto: 6, PortLo: 8080, PortHi: 8080, Audit: true, RuleID: 15}},
			pkt:   syn(peerA, local, 8080), wantAct: actShot, wantReason: 133, wantRule: 90, verdict: 2},
		{name: "ICMP type 0 is not a wildcard", flags: PolicyIngress,
			rules: []Rule{{EndpointID: 5, Proto: 1, PortLo: 0, PortHi: 0, RuleID: 16}},
			pkt:   testutil.Packet{Src: peerA, Dst: local, Proto: 1, ICMPType: 8, ICMPID: 4242}, wantAct: actShot, wantReason: 133, wantRule: 90, verdict: 2},
		{name: "ICMP echo allowed by type", flags: PolicyIngress,
			rules: []Rule{{EndpointID: 5, Proto: 1, PortLo: 8, PortHi: 8, RuleID: 17}},
			pkt:   testutil.Packet{Src: peerA, Dst: local, Proto: 1, ICMPType: 8, ICMPID: 4243}, wantAct: actOK, wantMatch: 3, wantRule: 17, verdict: 1},
		{name: "a deny rule applies without default deny", flags: 0,
			rules: []Rule{{EndpointID: 5, Identity: 401, Deny: true, RuleID: 18}},
			pkt:   syn(peerB, local, 8080), wantAct: actShot, wantReason: 181, wantMatch: 1, wantRule: 18, verdict: 2},
		{name: "an audit deny without default deny audits", flags: 0,
			rules: []Rule{{EndpointID: 5, Identity: 401, Deny: true, Audit: true, RuleID: 19}},
			pkt:   syn(peerB, local, 8080), wantAct: actOK, wantReason: 181, wantMatch: 1, wantRule: 19, verdict: 3},
		{name: "egress rules do not open ingress", flags: PolicyIngress,
			rules: []Rule{{EndpointID: 5, Egress: true, Identity: 400, RuleID: 12}},
			pkt:   syn(peerA, local, 8080), wantAct: actShot, wantReason: 133, wantRule: 90, verdict: 2},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f.apply(c.flags, c.rules...)
			act, evs := f.run(in, c.pkt)
			if act != c.wantAct {
				t.Fatalf("action %#x, want %#x (events %+v)", act, c.wantAct, evs)
			}
			pv := find(evs, decoder.TypePolicyVerdict)
			if c.flags == 0 && c.verdict == 0 {
				if pv != nil {
					t.Fatal("policy verdict event without policy")
				}
				return
			}
			if pv == nil {
				t.Fatalf("no policy verdict event: %+v", evs)
			}
			if pv.Verdict != c.verdict || pv.MatchType != c.wantMatch || pv.RuleID != c.wantRule || pv.SrcIdentity == 0 {
				t.Errorf("verdict event: verdict %d match %d rule %d src %d; want %d %d %d",
					pv.Verdict, pv.MatchType, pv.RuleID, pv.SrcIdentity, c.verdict, c.wantMatch, c.wantRule)
			}
			drop := find(evs, decoder.TypeDrop)
			if c.wantAct == actShot {
				if drop == nil || drop.DropReason != c.wantReason || drop.Packets != 1 {
					t.Errorf("drop event %+v, want reason %d", drop, c.wantReason)
				}
				if find(evs, decoder.TypeTrace) != nil {
					t.Error("a dropped packet produced a trace event")
				}
			} else if drop != nil {
				t.Errorf("drop event for a forwarded packet: %+v", drop)
			}
		})
	}
}

func TestEstablishedSurvivesPolicyChange(t *testing.T) {
	f := newFixture(t)
	f.apply(PolicyIngress, Rule{EndpointID: 5, Identity: 400, Proto: 6, PortLo: 5432, PortHi: 5432, RuleID: 1})
	open := syn(peerA, local, 5432)
	if act, _ := f.run(f.objs.ToEndpoint, open); act != actOK {
		t.Fatal("allowed SYN dropped")
	}
	f.apply(PolicyIngress) // deny everything from now on
	est := open
	est.TCPFlags = 0x10
	if act, _ := f.run(f.objs.ToEndpoint, est); act != actOK {
		t.Fatal("established connection dropped after a policy change")
	}
	reply := testutil.Packet{Src: local, Dst: peerA, Proto: 6, SrcPort: 5432, DstPort: open.SrcPort, TCPFlags: 0x12}
	if act, _ := f.run(f.objs.FromEndpoint, reply); act != actOK {
		t.Fatal("reply of an allowed connection dropped")
	}
	if act, _ := f.run(f.objs.ToEndpoint, syn(peerA, local, 5432)); act != actShot {
		t.Fatal("a new connection passed the new deny-all revision")
	}
}

func TestAntiSpoofing(t *testing.T) {
	f := newFixture(t)
	act, evs := f.run(f.objs.FromEndpoint, syn(spoof, peerA, 80))
	if d := find(evs, decoder.TypeDrop); act != actShot || d == nil || d.DropReason != 132 {
		t.Fatalf("spoofed source: action %#x, drop %+v; want a drop with reason 132", act, d)
	}
	if act, _ := f.run(f.objs.FromEndpoint, syn(local, peerA, 80)); act != actOK {
		t.Fatal("own source dropped")
	}
	ll := testutil.Packet{Src: netip.MustParseAddr("fe80::1"), Dst: netip.MustParseAddr("ff02::2"), Proto: 58, ICMPType: 133}
	if act, _ := f.run(f.objs.FromEndpoint, ll); act != actOK {
		t.Fatal("link-local router solicitation dropped")
	}
}

func TestPortBlocks(t *testing.T) {
	cases := []struct {
		lo, hi uint16
		want   []portBlock
	}{
		{80, 80, []portBlock{{80, 16}}},
		{8000, 8007, []portBlock{{8000, 13}}},
		{8000, 8100, []portBlock{{8000, 10}, {8064, 11}, {8096, 14}, {8100, 16}}},
		{1, 65535, nil}, // checked by coverage below
	}
	for _, c := range cases {
		got := portBlocks(Rule{Proto: 6, PortLo: c.lo, PortHi: c.hi})
		covered := 0
		for _, b := range got {
			size := 1 << (16 - b.prefix)
			if int(b.port)%size != 0 {
				t.Errorf("%d-%d: block %v not aligned", c.lo, c.hi, b)
			}
			covered += size
		}
		if covered != int(c.hi)-int(c.lo)+1 {
			t.Errorf("%d-%d: blocks %v cover %d ports", c.lo, c.hi, got, covered)
		}
		if c.want != nil && len(got) != len(c.want) {
			t.Errorf("%d-%d: %v, want %v", c.lo, c.hi, got, c.want)
		}
	}
}

func TestConntrackGC(t *testing.T) {
	f := newFixture(t)
	ct := NewConntrack(f.objs.Conntrack)
	if act, _ := f.run(f.objs.ToEndpoint, syn(peerA, local, 443)); act != actOK {
		t.Fatal("SYN dropped without policy")
	}
	deleted, alive, err := ct.GC()
	if err != nil || deleted != 0 || alive != 1 {
		t.Fatalf("GC of a fresh table = %d deleted, %d alive, %v; want 0, 1", deleted, alive, err)
	}
	// Age the entry past its lifetime.
	var k loader.LoupeCtKey
	var v loader.LoupeCtEntry
	it := f.objs.Conntrack.Iterate()
	for it.Next(&k, &v) {
		v.ExpiresNs = 1
		if err := f.objs.Conntrack.Put(&k, &v); err != nil {
			t.Fatal(err)
		}
	}
	if deleted, alive, err := ct.GC(); err != nil || deleted != 1 || alive != 0 {
		t.Fatalf("GC after expiry = %d deleted, %d alive, %v; want 1, 0", deleted, alive, err)
	}
}
