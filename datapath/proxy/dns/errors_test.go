package dnsproxy

import (
	"context"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/loupe-dev/loupe/api/flow"
	"github.com/loupe-dev/loupe/datapath/fqdn"
	"github.com/loupe-dev/loupe/datapath/policy"
	"github.com/loupe-dev/loupe/datapath/proxy"
)

// servePacket calls ServePacket and returns what it replied (nil: nothing).
func servePacket(ctx context.Context, h *Handler, m *proxy.Conn, pkt []byte) []byte {
	var out []byte
	h.ServePacket(ctx, pkt, m, func(b []byte) error { out = b; return nil })
	return out
}

func packed(t testing.TB, m *dns.Msg) []byte {
	b, err := m.Pack()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestGarbageUDP: input that is not a query is answered FORMERR (NOTIMP
// for another opcode) when its header can be read, dropped when not or
// when it is a response; each is an ERROR flow, and the next query is
// served.
func TestGarbageUDP(t *testing.T) {
	srv := startServer(t)
	rec := &recorder{}
	h := New(Config{}, proxy.PlainDialer{}, rec.emit, nil, nil)
	m := testConn(t, srv, 17)
	ctx := context.Background()
	twoQ := query("a.example.com", dns.TypeA)
	twoQ.Question = append(twoQ.Question, twoQ.Question[0])
	notify := query("a.example.com", dns.TypeSOA)
	notify.Opcode = dns.OpcodeNotify
	resp := query("a.example.com", dns.TypeA)
	resp.Response = true
	for _, tc := range []struct {
		name  string
		pkt   []byte
		rcode int // -1: no answer
	}{
		{"short", []byte{1, 2, 3, 4, 5}, -1},
		{"header and junk", append([]byte{0xbe, 0xef, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0}, 0xff, 0xff, 0xff), dns.RcodeFormatError},
		{"two questions", packed(t, twoQ), dns.RcodeFormatError},
		{"notify", packed(t, notify), dns.RcodeNotImplemented},
		{"a response", packed(t, resp), -1},
		{"empty", nil, -1},
	} {
		out := servePacket(ctx, h, m, tc.pkt)
		if tc.rcode < 0 {
			if out != nil {
				t.Errorf("%s: answered %x, want nothing", tc.name, out)
			}
		} else {
			var r dns.Msg
			if err := r.Unpack(out); err != nil || r.Rcode != tc.rcode || !r.Response || r.Id != binary.BigEndian.Uint16(tc.pkt) {
				t.Errorf("%s: answer %v (%v), want rcode %s with the query's id", tc.name, &r, err, dns.RcodeToString[tc.rcode])
			}
		}
		flows := rec.take()
		if len(flows) != 1 || flows[0].GetVerdict() != flow.Verdict_ERROR || flows[0].GetL7().GetDns() == nil {
			t.Errorf("%s: flows %v, want one ERROR flow", tc.name, flows)
		} else if tc.rcode >= 0 && flows[0].GetL7().GetDns().GetRcode() != uint32(tc.rcode) {
			t.Errorf("%s: flow rcode %d, want %d", tc.name, flows[0].GetL7().GetDns().GetRcode(), tc.rcode)
		}
	}
	var r dns.Msg
	if err := r.Unpack(servePacket(ctx, h, m, packed(t, query("a.example.com", dns.TypeA)))); err != nil || len(r.Answer) != 1 {
		t.Errorf("the query after garbage: %v, %v", &r, err)
	}
	if s := h.Stats(); s.Malformed != 6 {
		t.Errorf("stats %+v: want 6 malformed", s)
	}
}

func frame(b []byte) []byte {
	return append(binary.BigEndian.AppendUint16(nil, uint16(len(b))), b...)
}

// TestGarbageTCP: a framed message with a readable header is answered
// FORMERR and the connection goes on; one whose header cannot be read,
// an empty frame and a frame cut short end the connection with an ERROR
// flow.
func TestGarbageTCP(t *testing.T) {
	srv := startServer(t)
	rec := &recorder{}
	h := New(Config{}, proxy.PlainDialer{}, rec.emit, nil, nil)
	addr := serveTCP(t, h, testConn(t, srv, 6))

	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	co := &dns.Conn{Conn: c}
	c.Write(frame([]byte{0xbe, 0xef, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, 0xff}))
	r, err := co.ReadMsg()
	if err != nil || r.Rcode != dns.RcodeFormatError || r.Id != 0xbeef {
		t.Fatalf("garbage on TCP: %v, %v; want FORMERR", r, err)
	}
	exchanges(t, co, []*dns.Msg{query("a.example.com", dns.TypeA)}, []int{dns.RcodeSuccess})
	if f := rec.take(); len(f) != 3 || f[0].GetVerdict() != flow.Verdict_ERROR {
		t.Errorf("flows %v: want ERROR, then the query's two", f)
	}

	for _, tc := range []struct {
		name string
		send []byte
	}{
		{"unreadable header", frame([]byte{1, 2, 3})},
		{"empty frame", []byte{0, 0}},
		{"cut in the length", []byte{0}},
		{"cut in the message", append([]byte{0, 100}, packed(t, query("a.example.com", dns.TypeA))...)},
	} {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		c.Write(tc.send)
		c.(*net.TCPConn).CloseWrite()
		// The proxy closes the connection after the ERROR flow.
		if rest, err := io.ReadAll(c); err != nil || len(rest) != 0 {
			t.Errorf("%s: read %x, %v; want a close", tc.name, rest, err)
		}
		c.Close()
		if f := rec.take(); len(f) != 1 || f[0].GetVerdict() != flow.Verdict_ERROR {
			t.Errorf("%s: flows %v, want one ERROR flow", tc.name, f)
		}
	}
}

// TestServerTimeout: a server that does not answer gets the client
// SERVFAIL (an ERROR response flow); on TCP the next query on the same
// connection is served on a new server connection.
func TestServerTimeout(t *testing.T) {
	srv := startServer(t)
	for _, network := range []string{"udp", "tcp"} {
		rec := &recorder{}
		h := New(Config{Timeout: 50 * time.Millisecond}, proxy.PlainDialer{}, rec.emit, nil, nil)
		var addr string
		if network == "udp" {
			addr = serveUDP(t, h, testConn(t, srv, 17))
		} else {
			addr = serveTCP(t, h, testConn(t, srv, 6))
		}
		co, err := dns.Dial(network, addr)
		if err != nil {
			t.Fatal(err)
		}
		exchanges(t, co, []*dns.Msg{query("hold.example.com", dns.TypeA), query("a.example.com", dns.TypeA)},
			[]int{dns.RcodeServerFailure, dns.RcodeSuccess})
		co.Close()
		<-srv.held
		held := flowView{Verdict: "FORWARDED", Type: "REQUEST", Drop: "DROP_REASON_UNKNOWN", Query: "hold.example.com.", Qtypes: []string{"A"}, Policies: []string{pol}}
		fail := held
		fail.Verdict, fail.Type, fail.Reply, fail.Rcode = "ERROR", "RESPONSE", true, dns.RcodeServerFailure
		checkFlows(t, rec.take(), []flowView{held, fail, reqA, respA})
		if s := h.Stats(); s.UpstreamErrors != 1 {
			t.Errorf("%s: stats %+v, want 1 upstream error", network, s)
		}
	}
}

// blockingLearner holds Learn until told.
type blockingLearner struct {
	entered chan struct{}
	release chan error
}

func (l *blockingLearner) Learn(context.Context, string, []netip.Addr, time.Duration, []string) error {
	l.entered <- struct{}{}
	return <-l.release
}

// TestAnswerHeldUntilLearned: the answer reaches the client only after
// Learn returned; when Learn fails, the client gets SERVFAIL.
func TestAnswerHeldUntilLearned(t *testing.T) {
	srv := startServer(t)
	rec := &recorder{}
	names := &blockingLearner{entered: make(chan struct{}), release: make(chan error)}
	h := New(Config{}, proxy.PlainDialer{}, rec.emit, names, nil)
	m := testConn(t, srv, 17)
	for _, learnErr := range []error{nil, errors.New("policy map full")} {
		var mu sync.Mutex
		var replied []byte
		done := make(chan struct{})
		go func() {
			defer close(done)
			h.ServePacket(context.Background(), packed(t, query("a.example.com", dns.TypeA)), m, func(b []byte) error {
				mu.Lock()
				replied = b
				mu.Unlock()
				return nil
			})
		}()
		<-names.entered
		mu.Lock()
		early := replied
		mu.Unlock()
		if early != nil {
			t.Fatal("the answer was released before Learn returned")
		}
		names.release <- learnErr
		<-done
		var r dns.Msg
		if err := r.Unpack(replied); err != nil {
			t.Fatal(err)
		}
		want := dns.RcodeSuccess
		last := respA
		if learnErr != nil {
			want = dns.RcodeServerFailure
			last = flowView{Verdict: "ERROR", Type: "RESPONSE", Drop: "DROP_REASON_UNKNOWN", Reply: true, Query: "a.example.com.", Qtypes: []string{"A"}, Rcode: dns.RcodeServerFailure, Policies: []string{pol}}
		}
		if r.Rcode != want {
			t.Errorf("Learn error %v: rcode %s, want %s", learnErr, dns.RcodeToString[r.Rcode], dns.RcodeToString[want])
		}
		checkFlows(t, rec.take(), []flowView{reqA, last})
	}
	if s := h.Stats(); s.LearnErrors != 1 {
		t.Errorf("stats %+v: want 1 learn error", s)
	}
}

// TestWithNameCache: through the real name cache, the policy callback
// sees the answered addresses (the CNAME target's included) before the
// client gets them.
func TestWithNameCache(t *testing.T) {
	srv := startServer(t)
	sel, err := policy.NewFQDNSelector("", "*.example.net")
	if err != nil {
		t.Fatal(err)
	}
	var seen []netip.Prefix
	var cache *fqdn.Cache
	cache = fqdn.New(fqdn.Config{OnChange: func(context.Context) error {
		seen = cache.Prefixes(&sel)
		return nil
	}}, nil)
	cache.SetSelectors([]*policy.FQDNSelector{&sel})
	h := New(Config{}, proxy.PlainDialer{}, nil, cache, nil)
	out := servePacket(context.Background(), h, testConn(t, srv, 17), packed(t, query("www.example.com", dns.TypeA)))
	if out == nil {
		t.Fatal("no answer")
	}
	if len(seen) != 1 || seen[0] != netip.MustParsePrefix("192.0.2.7/32") {
		t.Errorf("policy installed with %v, want 192.0.2.7/32", seen)
	}
	if n := cache.Names(netip.MustParseAddr("192.0.2.7")); len(n) != 2 {
		t.Errorf("names of 192.0.2.7: %v, want www.example.com and edge.example.net", n)
	}
}

// TestMaxInFlight: UDP queries beyond MaxInFlight waiting for the server
// are answered SERVFAIL and counted.
func TestMaxInFlight(t *testing.T) {
	srv := startServer(t)
	h := New(Config{MaxInFlight: 1, Timeout: time.Minute}, proxy.PlainDialer{}, nil, nil, nil)
	m := testConn(t, srv, 17)
	ctx, cancel := context.WithCancel(context.Background())
	first := make(chan []byte)
	go func() { first <- servePacket(ctx, h, m, packed(t, query("hold.example.com", dns.TypeA))) }()
	<-srv.held // the first query holds the only slot
	var r dns.Msg
	if err := r.Unpack(servePacket(context.Background(), h, m, packed(t, query("a.example.com", dns.TypeA)))); err != nil || r.Rcode != dns.RcodeServerFailure {
		t.Errorf("over the bound: %v, %v; want SERVFAIL", &r, err)
	}
	cancel()
	if err := r.Unpack(<-first); err != nil || r.Rcode != dns.RcodeServerFailure {
		t.Errorf("canceled: %v, %v; want SERVFAIL", &r, err)
	}
	if s := h.Stats(); s.Busy != 1 {
		t.Errorf("stats %+v: want 1 busy", s)
	}
	if err := r.Unpack(servePacket(context.Background(), h, m, packed(t, query("a.example.com", dns.TypeA)))); err != nil || r.Rcode != dns.RcodeSuccess {
		t.Errorf("after the slot is free: %v, %v", &r, err)
	}
}
