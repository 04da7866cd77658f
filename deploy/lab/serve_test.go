package lab

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/miekg/dns"
)

func testTopology(t *testing.T) *Topology {
	t.Helper()
	topo, err := ParseTopology("t.yaml", []byte(base+`  - name: web
    namespace: other
  - name: ns
    namespace: infra
    serve: [{protocol: dns}]
`))
	if err != nil {
		t.Fatal(err)
	}
	return topo
}

func TestHTTPHandler(t *testing.T) {
	topo := testTopology(t)
	srv := httptest.NewServer(NewHTTPHandler(topo.Name, topo.Workload("shop/web")))
	defer srv.Close()
	for _, tc := range []struct {
		path   string
		status int
	}{
		{"/", 200},
		{"/products/42", 200},
		{"/status/503", 503},
		{"/status/404", 404},
		{"/status/99", 400},
		{"/slow?ms=30", 200},
		{"/slow?ms=x", 400},
	} {
		start := time.Now()
		resp, err := http.Get(srv.URL + tc.path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tc.status {
			t.Errorf("%s: status %d, want %d", tc.path, resp.StatusCode, tc.status)
		}
		if tc.status == 400 {
			continue
		}
		var r httpReply
		if err := json.Unmarshal(body, &r); err != nil {
			t.Fatalf("%s: body %q: %v", tc.path, body, err)
		}
		if r.Workload != "web" || r.Namespace != "shop" || r.Lab != "t1" || r.Status != tc.status || r.Method != "GET" {
			t.Errorf("%s: reply %+v", tc.path, r)
		}
		if strings.HasPrefix(tc.path, "/slow") && time.Since(start) < 30*time.Millisecond {
			t.Errorf("/slow answered after %s, want at least 30ms", time.Since(start))
		}
	}
}

func TestDNSZone(t *testing.T) {
	z := newZone(testTopology(t))
	ask := func(name string, qtype uint16) *dns.Msg {
		return z.answer(new(dns.Msg).SetQuestion(name, qtype))
	}
	type answer struct {
		Rcode string
		RRs   []string
		SOA   bool
	}
	summarize := func(m *dns.Msg) answer {
		a := answer{Rcode: dns.RcodeToString[m.Rcode], RRs: []string{}}
		for _, rr := range m.Answer {
			a.RRs = append(a.RRs, strings.Join(strings.Fields(rr.String()), " "))
		}
		a.SOA = len(m.Ns) == 1 && m.Ns[0].Header().Rrtype == dns.TypeSOA
		return a
	}
	for _, tc := range []struct {
		name  string
		qtype uint16
		want  answer
	}{
		{"web.shop.svc.loupe.", dns.TypeA, answer{"NOERROR", []string{"web.shop.svc.loupe. 5 IN A 10.99.0.1"}, false}},
		{"WEB.shop.svc.loupe.", dns.TypeAAAA, answer{"NOERROR", []string{"WEB.shop.svc.loupe. 5 IN AAAA fd00:99::1"}, false}},
		// The namespace-less name answers for every workload of that name.
		{"web.svc.loupe.", dns.TypeA, answer{"NOERROR", []string{"web.svc.loupe. 5 IN A 10.99.0.1", "web.svc.loupe. 5 IN A 10.99.0.3"}, false}},
		{"db.svc.loupe.", dns.TypeAAAA, answer{"NOERROR", []string{"db.svc.loupe. 5 IN AAAA fd00:99::2"}, false}},
		{"db.shop.svc.loupe.", dns.TypeMX, answer{"NOERROR", []string{}, true}},
		{"shop.svc.loupe.", dns.TypeA, answer{"NOERROR", []string{}, true}},
		{"nope.shop.svc.loupe.", dns.TypeA, answer{"NXDOMAIN", []string{}, true}},
		{"db.nowhere.svc.loupe.", dns.TypeAAAA, answer{"NXDOMAIN", []string{}, true}},
		{"example.com.", dns.TypeA, answer{"NXDOMAIN", []string{}, false}},
		{"2.0.99.10.in-addr.arpa.", dns.TypePTR, answer{"NOERROR", []string{"2.0.99.10.in-addr.arpa. 5 IN PTR db.shop.svc.loupe."}, false}},
	} {
		got := summarize(ask(tc.name, tc.qtype))
		if diff := cmp.Diff(got, tc.want); diff != "" {
			t.Errorf("%s %s (-got +want):\n%s", tc.name, dns.TypeToString[tc.qtype], diff)
		}
	}
	if m := ask("web.shop.svc.loupe.", dns.TypeA); !m.Authoritative {
		t.Error("answers for the lab zone must be authoritative")
	}
}

// TestServers runs the servers of a workload on loopback, as ServeMain
// does inside a namespace, and talks to each over the network.
func TestServers(t *testing.T) {
	topo := testTopology(t)
	log := slog.New(slog.DiscardHandler)
	h, err := listenHTTP(0, topo.Name, topo.Workload("shop/web"), log)
	if err != nil {
		t.Fatal(err)
	}
	te, err := listenTCPEcho(0, log)
	if err != nil {
		t.Fatal(err)
	}
	ue, err := listenUDPEcho(0)
	if err != nil {
		t.Fatal(err)
	}
	d, err := listenDNS(0, topo, log)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 4)
	for _, s := range []server{h, te, ue, d} {
		go func() { done <- s.serve(ctx) }()
	}
	t.Cleanup(func() {
		cancel()
		for range 4 {
			if err := <-done; err != nil {
				t.Errorf("serve: %v", err)
			}
		}
	})
	port := func(a net.Addr) uint16 { return netip.MustParseAddrPort(a.String()).Port() }

	resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/x", port(h.ln.Addr())))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("http status %d", resp.StatusCode)
	}

	for _, network := range []string{"tcp", "udp"} {
		addr := fmt.Sprintf("[::1]:%d", port(te.ln.Addr()))
		if network == "udp" {
			addr = fmt.Sprintf("127.0.0.1:%d", port(ue.pc.LocalAddr()))
		}
		c, err := net.DialTimeout(network, addr, time.Second)
		if err != nil {
			t.Fatal(err)
		}
		if o := exchange(ctxTimeout(t), c, "hello "+network); !o.ok {
			t.Errorf("%s echo: %s", network, o.note)
		}
		c.Close()
	}

	for _, transport := range []string{"udp", "tcp"} {
		srv := d.servers[0].PacketConn.LocalAddr()
		if transport == "tcp" {
			srv = d.servers[1].Listener.Addr()
		}
		r, _, err := (&dns.Client{Net: transport, Timeout: time.Second}).Exchange(
			new(dns.Msg).SetQuestion("nope.shop.svc.loupe.", dns.TypeA), srv.String())
		if err != nil {
			t.Fatal(err)
		}
		if r.Rcode != dns.RcodeNameError {
			t.Errorf("dns over %s: rcode %s, want NXDOMAIN", transport, dns.RcodeToString[r.Rcode])
		}
	}
}

func ctxTimeout(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	t.Cleanup(cancel)
	return ctx
}
