package dnsproxy

import (
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/miekg/dns"

	"github.com/loupe-dev/loupe/api/flow"
	"github.com/loupe-dev/loupe/datapath/proxy"
)

// flowView is what the tests compare of a flow.
type flowView struct {
	Verdict, Type, Drop string
	Reply               bool
	Query               string
	Qtypes              []string
	Rcode               uint32
	IPs, CNAMEs         []string
	TTL                 uint32
	RRTypes             []string
	Policies            []string
}

func view(f *flow.Flow) flowView {
	d := f.GetL7().GetDns()
	return flowView{
		Verdict: f.GetVerdict().String(), Type: f.GetL7().GetType().String(), Drop: f.GetDropReason().String(),
		Reply: f.GetIsReply(), Query: d.GetQuery(), Qtypes: d.GetQtypes(), Rcode: d.GetRcode(),
		IPs: d.GetIps(), CNAMEs: d.GetCnames(), TTL: d.GetTtl(), RRTypes: d.GetRrtypes(), Policies: f.GetPolicyNames(),
	}
}

const pol = "shop/dns-egress"

var (
	reqA      = flowView{Verdict: "FORWARDED", Type: "REQUEST", Drop: "DROP_REASON_UNKNOWN", Query: "a.example.com.", Qtypes: []string{"A"}, Policies: []string{pol}}
	respA     = flowView{Verdict: "FORWARDED", Type: "RESPONSE", Drop: "DROP_REASON_UNKNOWN", Reply: true, Query: "a.example.com.", Qtypes: []string{"A"}, IPs: []string{"192.0.2.1"}, TTL: 30, RRTypes: []string{"A"}, Policies: []string{pol}}
	reqDenied = flowView{Verdict: "DROPPED", Type: "REQUEST", Drop: "POLICY_DENIED", Query: "evil.org.", Qtypes: []string{"A"}, Policies: []string{pol}}
	reqWWW    = flowView{Verdict: "FORWARDED", Type: "REQUEST", Drop: "DROP_REASON_UNKNOWN", Query: "www.example.com.", Qtypes: []string{"A"}, Policies: []string{pol}}
	respWWW   = flowView{Verdict: "FORWARDED", Type: "RESPONSE", Drop: "DROP_REASON_UNKNOWN", Reply: true, Query: "www.example.com.", Qtypes: []string{"A"}, IPs: []string{"192.0.2.7"}, CNAMEs: []string{"edge.example.net."}, TTL: 20, RRTypes: []string{"CNAME", "A"}, Policies: []string{pol}}
	reqAAAA   = flowView{Verdict: "FORWARDED", Type: "REQUEST", Drop: "DROP_REASON_UNKNOWN", Query: "a.example.com.", Qtypes: []string{"AAAA"}, Policies: []string{pol}}
	respAAAA  = flowView{Verdict: "FORWARDED", Type: "RESPONSE", Drop: "DROP_REASON_UNKNOWN", Reply: true, Query: "a.example.com.", Qtypes: []string{"AAAA"}, IPs: []string{"2001:db8::1"}, TTL: 30, RRTypes: []string{"AAAA"}, Policies: []string{pol}}
	reqNX     = flowView{Verdict: "FORWARDED", Type: "REQUEST", Drop: "DROP_REASON_UNKNOWN", Query: "nx.example.com.", Qtypes: []string{"TXT"}, Policies: []string{pol}}
	respNX    = flowView{Verdict: "FORWARDED", Type: "RESPONSE", Drop: "DROP_REASON_UNKNOWN", Reply: true, Query: "nx.example.com.", Qtypes: []string{"TXT"}, Rcode: dns.RcodeNameError, Policies: []string{pol}}
)

// exchanges runs queries on one client connection and checks each
// answer's rcode and id, and that the question is echoed.
func exchanges(t *testing.T, co *dns.Conn, queries []*dns.Msg, rcodes []int) []*dns.Msg {
	t.Helper()
	var out []*dns.Msg
	for i, q := range queries {
		if err := co.WriteMsg(q); err != nil {
			t.Fatal(err)
		}
		r, err := co.ReadMsg()
		if err != nil {
			t.Fatalf("query %d (%s): %v", i, q.Question[0].Name, err)
		}
		if r.Rcode != rcodes[i] || r.Id != q.Id || len(r.Question) != 1 || r.Question[0] != q.Question[0] {
			t.Errorf("query %d (%s): rcode %s id %d question %v, want %s id %d", i, q.Question[0].Name,
				dns.RcodeToString[r.Rcode], r.Id, r.Question, dns.RcodeToString[rcodes[i]], q.Id)
		}
		out = append(out, r)
	}
	return out
}

func checkFlows(t *testing.T, got []*flow.Flow, want []flowView) {
	t.Helper()
	var views []flowView
	for _, f := range got {
		views = append(views, view(f))
	}
	if diff := cmp.Diff(views, want); diff != "" {
		t.Errorf("flows (-got +want):\n%s", diff)
	}
}

// TestTCPAllowedAndDenied: allowed and denied queries on one TCP
// connection: answers relayed, denied ones REFUSED with the question
// echoed, every query and answer a flow, answers learned before release.
func TestTCPAllowedAndDenied(t *testing.T) {
	srv := startServer(t)
	rec, names := &recorder{}, &learner{}
	h := New(Config{}, proxy.PlainDialer{}, rec.emit, names, nil)
	addr := serveTCP(t, h, testConn(t, srv, 6))
	co, err := dns.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer co.Close()
	answers := exchanges(t, co,
		[]*dns.Msg{query("a.example.com", dns.TypeA), query("evil.org", dns.TypeA), query("www.example.com", dns.TypeA), query("a.example.com", dns.TypeAAAA), query("nx.example.com", dns.TypeTXT)},
		[]int{dns.RcodeSuccess, dns.RcodeRefused, dns.RcodeSuccess, dns.RcodeSuccess, dns.RcodeNameError})
	if a, ok := answers[0].Answer[0].(*dns.A); !ok || a.A.String() != "192.0.2.1" {
		t.Errorf("a.example.com: %v", answers[0].Answer)
	}
	if len(answers[2].Answer) != 2 {
		t.Errorf("www.example.com: %v, want the CNAME and its A", answers[2].Answer)
	}
	flows := rec.take()
	checkFlows(t, flows, []flowView{reqA, respA, reqDenied, reqWWW, respWWW, reqAAAA, respAAAA, reqNX, respNX})
	for _, f := range flows {
		tcp := f.GetL4().GetTcp()
		if tcp == nil || f.GetEventType() != flow.EventType_L7 || f.GetTrafficDirection() != flow.TrafficDirection_EGRESS {
			t.Errorf("flow %v: want an egress L7 flow over TCP", f)
			continue
		}
		server, client := tcp.GetDestinationPort(), tcp.GetSourcePort()
		if f.GetIsReply() {
			server, client = client, server
			if f.GetL7().GetLatencyNs() == 0 {
				t.Errorf("response without latency: %v", f)
			}
			if f.GetSource().GetIdentity() != 2002 || f.GetIp().GetDestination() != "127.0.0.1" {
				t.Errorf("response not from the server to the client: %v", f)
			}
		}
		if server != uint32(srv.addr.Port()) || client == 0 {
			t.Errorf("flow ports %d -> %d, want the server's %d", client, server, srv.addr.Port())
		}
	}
	want := []learnCall{
		{"a.example.com.", []netip.Addr{netip.MustParseAddr("192.0.2.1")}, 30 * time.Second, nil},
		{"www.example.com.", []netip.Addr{netip.MustParseAddr("192.0.2.7")}, 20 * time.Second, []string{"edge.example.net."}},
		{"a.example.com.", []netip.Addr{netip.MustParseAddr("2001:db8::1")}, 30 * time.Second, nil},
	}
	if diff := cmp.Diff(names.got(), want, cmp.Comparer(func(a, b netip.Addr) bool { return a == b })); diff != "" {
		t.Errorf("Learn calls (-got +want):\n%s", diff)
	}
	if s := h.Stats(); s.Queries != 5 || s.Denied != 1 || s.Forwarded != 4 || s.Malformed != 0 {
		t.Errorf("stats %+v", s)
	}
}

// TestUDPAllowedAndDenied: the same over UDP, one datagram per query.
func TestUDPAllowedAndDenied(t *testing.T) {
	srv := startServer(t)
	rec := &recorder{}
	h := New(Config{}, proxy.PlainDialer{}, rec.emit, &learner{}, nil)
	addr := serveUDP(t, h, testConn(t, srv, 17))
	co, err := dns.Dial("udp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer co.Close()
	exchanges(t, co, []*dns.Msg{query("a.example.com", dns.TypeA)}, []int{dns.RcodeSuccess})
	checkFlows(t, rec.take(), []flowView{reqA, respA})
	exchanges(t, co, []*dns.Msg{query("evil.org", dns.TypeA)}, []int{dns.RcodeRefused})
	flows := rec.take()
	checkFlows(t, flows, []flowView{reqDenied})
	exchanges(t, co, []*dns.Msg{query("www.example.com", dns.TypeA)}, []int{dns.RcodeSuccess})
	flows = append(flows, rec.take()...)
	checkFlows(t, flows[1:], []flowView{reqWWW, respWWW})
	for _, f := range flows {
		udp := f.GetL4().GetUdp()
		if udp == nil {
			t.Errorf("flow over UDP without UDP ports: %v", f)
		}
	}
}

// TestSpoofedAdditions: addresses of names outside the asked name's
// chain are relayed but not learned.
func TestSpoofedAdditions(t *testing.T) {
	srv := startServer(t)
	names := &learner{}
	h := New(Config{}, proxy.PlainDialer{}, nil, names, nil)
	co, err := dns.Dial("udp", serveUDP(t, h, testConn(t, srv, 17)))
	if err != nil {
		t.Fatal(err)
	}
	defer co.Close()
	exchanges(t, co, []*dns.Msg{query("spoof.example.com", dns.TypeA)}, []int{dns.RcodeSuccess})
	if len(names.got()) != 1 || len(names.got()[0].IPs) != 1 || names.got()[0].IPs[0] != netip.MustParseAddr("192.0.2.8") {
		t.Errorf("learned %+v, want only 192.0.2.8", names.got())
	}
}

// TestServeConnEndsWithContext: an idle client connection ends when the
// proxy stops (the goroutine leak check would catch it otherwise).
func TestServeConnEndsWithContext(t *testing.T) {
	srv := startServer(t)
	h := New(Config{IdleTimeout: time.Hour}, proxy.PlainDialer{}, nil, nil, nil)
	a, b := net.Pipe()
	defer b.Close()
	done := make(chan struct{})
	ctx, cancel := contextWithCancel()
	go func() {
		h.ServeConn(ctx, a, testConn(t, srv, 6))
		close(done)
	}()
	cancel()
	<-done
}

// TestServerClosesTCP: a server that closes the upstream connection after
// each query (as servers do after some queries or some idle time) costs
// the client nothing: the proxy reconnects.
func TestServerClosesTCP(t *testing.T) {
	srv := startServerWith(t, 1)
	h := New(Config{}, proxy.PlainDialer{}, nil, nil, nil)
	co, err := dns.Dial("tcp", serveTCP(t, h, testConn(t, srv, 6)))
	if err != nil {
		t.Fatal(err)
	}
	defer co.Close()
	q := query("a.example.com", dns.TypeA)
	exchanges(t, co, []*dns.Msg{q, q, q}, []int{dns.RcodeSuccess, dns.RcodeSuccess, dns.RcodeSuccess})
	if s := h.Stats(); s.UpstreamErrors != 0 {
		t.Errorf("stats %+v: want no upstream errors", s)
	}
}
