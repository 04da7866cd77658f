package lab

import (
	"context"
	"encoding/json"
	"errors"
	"net/netip"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/loupe-dev/loupe/internal/testutil"

	"github.com/google/go-cmp/cmp"
	"github.com/miekg/dns"
	"github.com/vishvananda/netns"
)

// smallLab has a DNS server, a client and two servers in two namespaces,
// and traffic of every kind, including one that fails (a closed port).
const smallLab = `workloads:
  - {name: dns, namespace: infra, labels: {app: dns}, serve: [{protocol: dns}]}
  - {name: client, namespace: shop, labels: {app: client}}
  - name: web
    namespace: shop
    labels: {app: web, tier: front}
    serve: [{protocol: http, port: 8080}, {protocol: udp, port: 9125}]
  - {name: db, namespace: data, labels: {app: db}, serve: [{protocol: tcp, port: 5432}]}
traffic:
  - {from: client, to: web, protocol: http, path: /x}
  - {from: client, to: web, protocol: http, path: /status/503}
  - {from: web, to: db, protocol: tcp, port: 5432}
  - {from: client, to: web, protocol: udp, port: 9125}
  - {from: client, to: dns, protocol: dns, query: web.shop.svc.loupe}
  - {from: client, to: dns, protocol: dns, query: nope.shop.svc.loupe}
  - {from: client, to: db, protocol: icmp}
  - {from: client, to: db, protocol: tcp, port: 5999}
`

func TestLabLifecycle(t *testing.T) {
	testutil.RequireRoot(t)
	m, _ := newTestManager(t)
	topo := uniqueTopology(t, smallLab)
	st := upLab(t, m, topo, UpOptions{})
	web, db, dnsW := st.Workload("shop/web"), st.Workload("data/db"), st.Workload("infra/dns")

	t.Run("ping", func(t *testing.T) {
		requireTool(t, "ping")
		for _, dst := range []netip.Addr{web.IPv4, web.IPv6, db.IPv4, db.IPv6} {
			if out, err := runIn(t, m, st.Name, "client", "ping", "-c", "1", "-W", "2", dst.String()); err != nil {
				t.Errorf("ping %s from client: %v\n%s", dst, err, out)
			}
		}
	})

	t.Run("http by name", func(t *testing.T) {
		requireTool(t, "curl")
		// "web" resolves through the lab DNS with the search path of
		// /etc/netns/<netns>/resolv.conf; "db.data" across namespaces.
		for _, args := range [][]string{
			{"-4", "http://web:8080/hello"},
			{"-6", "http://web.shop:8080/hello"},
			{"-6", "http://web.shop.svc.loupe:8080/hello"},
		} {
			out, err := runIn(t, m, st.Name, "shop/client", append([]string{"curl", "-sS", "-m", "5"}, args...)...)
			if err != nil {
				t.Fatalf("curl %v: %v\n%s", args, err, out)
			}
			var r httpReply
			if err := json.Unmarshal([]byte(out), &r); err != nil || r.Workload != "web" || r.Namespace != "shop" || r.Path != "/hello" {
				t.Errorf("curl %v: got %q (%v)", args, out, err)
			}
			// The server sees the client's own address: no NAT in between.
			client := st.Workload("shop/client")
			if !strings.Contains(r.Client, client.IPv4.String()) && !strings.Contains(r.Client, client.IPv6.String()) {
				t.Errorf("server saw client %s, want %s or %s", r.Client, client.IPv4, client.IPv6)
			}
		}
	})

	t.Run("dns", func(t *testing.T) {
		h, err := netns.GetFromPath(NetNSPath(st.Workload("shop/client").NetNS))
		if err != nil {
			t.Fatal(err)
		}
		defer h.Close()
		a := &actor{ns: h}
		for _, server := range []netip.Addr{dnsW.IPv4, dnsW.IPv6} {
			ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
			r, err := a.query(ctx, netip.AddrPortFrom(server, 53), "nope.shop.svc.loupe.", dns.TypeA)
			cancel()
			if err != nil {
				t.Fatalf("query %s: %v", server, err)
			}
			if r.Rcode != dns.RcodeNameError {
				t.Errorf("nope.shop.svc.loupe. from %s: %s, want NXDOMAIN", server, dns.RcodeToString[r.Rcode])
			}
			ctx, cancel = context.WithTimeout(context.Background(), 3*time.Second)
			r, err = a.query(ctx, netip.AddrPortFrom(server, 53), "db.data.svc.loupe.", dns.TypeAAAA)
			cancel()
			if err != nil || len(r.Answer) != 1 || r.Answer[0].(*dns.AAAA).AAAA.String() != db.IPv6.String() {
				t.Errorf("db.data.svc.loupe. AAAA from %s: %v %v, want %s", server, r, err, db.IPv6)
			}
		}
	})

	t.Run("traffic once", func(t *testing.T) {
		var out strings.Builder
		sum, err := m.Traffic(context.Background(), nil, TrafficOptions{Once: true, Out: &out})
		if err != nil {
			t.Fatal(err)
		}
		// Every flow runs over IPv4 and IPv6.
		want := map[Protocol]*KindCounts{
			HTTP: {OK: 4, Notes: map[string]int{"5xx": 2}},
			TCP:  {OK: 2, Failed: 2, Notes: map[string]int{"refused": 2}},
			UDP:  {OK: 2, Notes: map[string]int{}},
			DNS:  {OK: 4, Notes: map[string]int{"nxdomain": 2}},
			ICMP: {OK: 2, Notes: map[string]int{}},
		}
		if diff := cmp.Diff(sum.Kinds, want); diff != "" {
			t.Errorf("summary (-got +want):\n%s\n%s", diff, out.String())
		}
		if !strings.Contains(out.String(), "| failed 2") {
			t.Errorf("summary line %q", out.String())
		}
	})

	t.Run("traffic duration", func(t *testing.T) {
		var out testutil.SyncBuffer
		start := time.Now()
		sum, err := m.Traffic(context.Background(), []*State{st}, TrafficOptions{
			Duration: 1200 * time.Millisecond, Rate: 5, Out: &out, Interval: 500 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		if el := time.Since(start); el < time.Second || el > 5*time.Second {
			t.Errorf("ran for %s, want about 1.2s", el)
		}
		if http := sum.Kinds[HTTP]; http == nil || http.OK < 8 || http.Failed != 0 {
			t.Errorf("http at 5/s for 1.2s: %+v", http)
		}
		if lines := strings.Count(out.String(), "\n"); lines < 3 {
			t.Errorf("want a line every 500ms and a total, got:\n%s", out.String())
		}
	})

	t.Run("status", func(t *testing.T) {
		rows, err := m.Status("")
		if err != nil {
			t.Fatal(err)
		}
		data, err := json.Marshal(rows)
		if err != nil {
			t.Fatal(err)
		}
		var got []map[string]any
		if err := json.Unmarshal(data, &got); err != nil {
			t.Fatal(err)
		}
		if len(got) != 4 {
			t.Fatalf("%d rows, want 4: %s", len(got), data)
		}
		w := got[2]
		want := map[string]any{
			"lab": st.Name, "name": "web", "namespace": "shop",
			"labels": map[string]any{"app": "web", "tier": "front"},
			"ipv4":   web.IPv4.String(), "ipv6": web.IPv6.String(),
			"netns": web.NetNS, "interface": web.HostIface,
			"servers": []any{"http/8080", "udp/9125"}, "pid": float64(st.Servers["shop/web"]),
			"registered": false, "state": "ready",
		}
		if diff := cmp.Diff(w, want); diff != "" {
			t.Errorf("status of web (-got +want):\n%s", diff)
		}
		for _, r := range rows {
			if r.State != "ready" {
				t.Errorf("%s/%s is %q", r.Namespace, r.Name, r.State)
			}
		}
		var table strings.Builder
		if err := WriteStatusTable(&table, rows); err != nil || !strings.Contains(table.String(), "app=web,tier=front") {
			t.Errorf("table: %v\n%s", err, table.String())
		}
	})

	t.Run("exec", func(t *testing.T) {
		if _, err := m.ExecArgv("", "nobody", []string{"true"}); !errors.Is(err, ErrNotFound) {
			t.Errorf("exec in unknown workload: %v", err)
		}
		out, err := runIn(t, m, "", "db", "sh", "-c", "cat /etc/resolv.conf; exit 3")
		var ee interface{ ExitCode() int }
		if !errors.As(err, &ee) || ee.ExitCode() != 3 {
			t.Errorf("exit code: %v", err)
		}
		if !strings.Contains(out, "nameserver "+dnsW.IPv4.String()) || !strings.Contains(out, "search data.svc.loupe svc.loupe") {
			t.Errorf("resolv.conf inside db:\n%s", out)
		}
	})

	t.Run("duplicate up creates nothing", func(t *testing.T) {
		before := netnsCount(t, st.Name)
		if _, err := m.Up(context.Background(), topo, UpOptions{}); !errors.Is(err, ErrConflict) {
			t.Fatalf("second up: %v, want ErrConflict", err)
		}
		// Same pools under another name: refused before anything exists.
		other := *topo
		other.Name = topo.Name + "x"
		if _, err := m.Up(context.Background(), &other, UpOptions{}); !errors.Is(err, ErrConflict) {
			t.Fatalf("overlapping up: %v, want ErrConflict", err)
		}
		if n := netnsCount(t, other.Name); n != 0 {
			t.Errorf("overlapping up left %d namespaces", n)
		}
		if after := netnsCount(t, st.Name); after != before {
			t.Errorf("namespaces of the lab went from %d to %d", before, after)
		}
		if _, err := runIn(t, m, st.Name, "client", "true"); err != nil {
			t.Errorf("lab broken by a refused up: %v", err)
		}
	})

	removed, err := m.Down(context.Background(), st.Name, DownOptions{})
	if err != nil || !cmp.Equal(removed, []string{st.Name}) {
		t.Fatalf("down: %v %v", removed, err)
	}
	assertGone(t, m, st)
	removed, err = m.Down(context.Background(), st.Name, DownOptions{})
	if err != nil || len(removed) != 0 {
		t.Errorf("second down: removed %v, %v; want a no-op", removed, err)
	}
}

// TestDownWithoutState removes a lab whose state file is gone: what it
// created is found by name. (Down without a name would do the same for
// every lab on the host, including those of other tests, so it is not
// exercised here.)
func TestDownWithoutState(t *testing.T) {
	testutil.RequireRoot(t)
	m, _ := newTestManager(t)
	st := upLab(t, m, uniqueTopology(t, smallLab), UpOptions{})
	if err := os.RemoveAll(m.labDir(st.Name)); err != nil {
		t.Fatal(err)
	}
	removed, err := m.Down(context.Background(), st.Name, DownOptions{})
	if err != nil || !cmp.Equal(removed, []string{st.Name}) {
		t.Fatalf("down: %v %v", removed, err)
	}
	assertGone(t, m, st)
}

// TestUpRollsBack makes the servers fail to start, after the namespaces and
// links exist: up must fail and leave nothing.
func TestUpRollsBack(t *testing.T) {
	testutil.RequireRoot(t)
	m, _ := newTestManager(t)
	m.Serve.Args = []string{"--no-such-flag"}
	topo := uniqueTopology(t, smallLab)
	t.Cleanup(func() { m.Down(context.Background(), topo.Name, DownOptions{}) })
	_, err := m.Up(context.Background(), topo, UpOptions{})
	if err == nil || !strings.Contains(err.Error(), "start servers of") || !strings.Contains(err.Error(), "no-such-flag") {
		t.Fatalf("up: %v, want a server start failure naming the log", err)
	}
	assertGone(t, m, &State{Topology: *topo})
}

// TestUpCancelled stops up half-way with a cancelled context.
func TestUpCancelled(t *testing.T) {
	testutil.RequireRoot(t)
	m, _ := newTestManager(t)
	topo := uniqueTopology(t, smallLab)
	t.Cleanup(func() { m.Down(context.Background(), topo.Name, DownOptions{}) })
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := m.Up(ctx, topo, UpOptions{}); !errors.Is(err, context.Canceled) {
		t.Fatalf("up: %v, want context.Canceled", err)
	}
	assertGone(t, m, &State{Topology: *topo})
}
