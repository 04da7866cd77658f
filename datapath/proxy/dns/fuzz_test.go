package dnsproxy

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/loupe-dev/loupe/api/flow"
	"github.com/loupe-dev/loupe/datapath/proxy"
)

// fakeAnswer answers a query in memory: one A record for its name.
func fakeAnswer(_ context.Context, q []byte) ([]byte, error) {
	var req dns.Msg
	if err := req.Unpack(q); err != nil {
		return nil, err
	}
	resp := new(dns.Msg)
	resp.SetReply(&req)
	resp.Answer = append(resp.Answer, &dns.A{Hdr: dns.RR_Header{Name: req.Question[0].Name, Rrtype: dns.TypeA, Class: dns.ClassINET, Ttl: 5}, A: net.IPv4(192, 0, 2, 1)})
	return resp.Pack()
}

func fuzzConn(t testing.TB) *proxy.Conn {
	return &proxy.Conn{
		Src: netip.MustParseAddrPort("192.0.2.10:40000"), Dst: netip.MustParseAddrPort("192.0.2.53:53"),
		Proto: 17, Policy: dnsPolicy(t),
	}
}

func querySeeds(t testing.TB) [][]byte {
	return [][]byte{
		packed(t, query("a.example.com", dns.TypeA)),
		packed(t, query("evil.org", dns.TypeAAAA)),
		{0xbe, 0xef, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, 0xff},
		{1, 2, 3},
		{},
	}
}

// checkReply holds for every reply the proxy makes itself or relays: a
// response with the query's id.
func checkReply(t *testing.T, in, out []byte) {
	t.Helper()
	if out == nil {
		return
	}
	if len(out) < 12 || out[2]&0x80 == 0 || len(in) < 2 || out[0] != in[0] || out[1] != in[1] {
		t.Fatalf("reply %x to %x: want a response with the query's id", out, in)
	}
}

// FuzzQuery: any datagram is answered with a response to it, or not at
// all, and every one is a flow.
func FuzzQuery(f *testing.F) {
	for _, s := range querySeeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, pkt []byte) {
		flows := 0
		h := New(Config{}, nil, func(*flow.Flow) { flows++ }, &learner{}, nil)
		out, _ := h.handle(context.Background(), pkt, fuzzConn(t), fakeAnswer)
		checkReply(t, pkt, out)
		if flows == 0 {
			t.Fatalf("no flow for %x", pkt)
		}
	})
}

// FuzzAnswer: whatever the server sends back to a valid query, the client
// gets it unchanged or SERVFAIL, and what is learned belongs to the name
// asked.
func FuzzAnswer(f *testing.F) {
	q := packed(f, query("a.example.com", dns.TypeA))
	good, _ := fakeAnswer(context.Background(), q)
	f.Add(good)
	f.Add(good[:len(good)-3])
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, ans []byte) {
		names := &learner{}
		h := New(Config{}, nil, nil, names, nil)
		out, _ := h.handle(context.Background(), q, fuzzConn(t), func(context.Context, []byte) ([]byte, error) { return ans, nil })
		checkReply(t, q, out)
		var r dns.Msg
		if err := r.Unpack(out); err != nil {
			t.Fatalf("reply does not unpack: %v", err)
		}
		if !bytes.Equal(out, ans) && r.Rcode != dns.RcodeServerFailure {
			t.Fatalf("answer changed: %x, want %x or SERVFAIL", out, ans)
		}
		for _, c := range names.got() {
			if c.Name != "a.example.com." || c.TTL < 0 {
				t.Fatalf("learned %+v", c)
			}
		}
	})
}

// memConn is a client connection in memory: reads come from in, writes
// go to out.
type memConn struct {
	net.Conn
	in  *bytes.Reader
	out bytes.Buffer
}

func (c *memConn) Read(b []byte) (int, error)       { return c.in.Read(b) }
func (c *memConn) Write(b []byte) (int, error)      { return c.out.Write(b) }
func (c *memConn) Close() error                     { return nil }
func (c *memConn) SetDeadline(time.Time) error      { return nil }
func (c *memConn) SetReadDeadline(time.Time) error  { return nil }
func (c *memConn) SetWriteDeadline(time.Time) error { return nil }

// failDialer reaches no server: allowed queries get SERVFAIL.
type failDialer struct{}

func (failDialer) Dial(context.Context, string, *proxy.Conn) (net.Conn, error) {
	return nil, errors.New("no server in a fuzz test")
}

// FuzzStream: any byte stream from a TCP client ends ServeConn, and what
// it wrote back is a sequence of whole frames, each a response.
func FuzzStream(f *testing.F) {
	var stream []byte
	for _, s := range querySeeds(f) {
		f.Add(frame(s))
		stream = append(stream, frame(s)...)
	}
	f.Add(stream)
	f.Add([]byte{0, 200, 1})
	f.Fuzz(func(t *testing.T, in []byte) {
		c := &memConn{in: bytes.NewReader(in)}
		h := New(Config{}, failDialer{}, nil, nil, nil)
		h.ServeConn(context.Background(), c, fuzzConn(t))
		r := bytes.NewReader(c.out.Bytes())
		for {
			msg, err := readFrame(r)
			if err == io.EOF {
				return
			}
			if err != nil {
				t.Fatalf("written frames: %v", err)
			}
			if len(msg) < 12 || msg[2]&0x80 == 0 {
				t.Fatalf("frame %x is not a response", msg)
			}
		}
	})
}
