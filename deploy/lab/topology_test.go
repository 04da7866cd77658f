package lab

import (
	"errors"
	"net/netip"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// base is a valid topology; cases append to it or replace lines of it, so
// that line numbers in expected errors are easy to count.
const base = `name: t1
ipv4Pool: 10.99.0.0/29
ipv6Pool: fd00:99::/120
workloads:
  - name: web
    namespace: shop
    labels: {app: web}
    serve:
      - {protocol: http, port: 8080}
  - name: db
    namespace: shop
    labels: {app: db}
    serve:
      - {protocol: tcp, port: 5432}
`

func TestParseTopologyValid(t *testing.T) {
	topo, err := ParseTopology("t.yaml", []byte(base+`  - name: dns
    namespace: infra
    ipv4: 10.99.0.6
    ipv6: fd00:99::ff
    serve:
      - {protocol: dns}
traffic:
  - {from: web, to: shop/db, protocol: tcp, port: 5432}
  - {from: web, to: web, protocol: http}
  - {from: db, to: dns, protocol: dns, family: ipv6, rate: 0.5, query: web.shop.svc.loupe}
  - {from: db, to: web, protocol: icmp, family: ipv4}
`))
	if err != nil {
		t.Fatal(err)
	}
	type row struct {
		ID, IPv4, IPv6, NetNS, Iface string
		Serve                        []Server
	}
	var got []row
	for _, w := range topo.Workloads {
		got = append(got, row{w.ID(), w.IPv4.String(), w.IPv6.String(), w.NetNS, w.HostIface, w.Serve})
	}
	want := []row{
		// Allocation skips the network address and the fixed ones.
		{"shop/web", "10.99.0.1", "fd00:99::1", "loupe-t1.shop.web", HostIfaceName("t1", "shop", "web"), []Server{{HTTP, 8080}}},
		{"shop/db", "10.99.0.2", "fd00:99::2", "loupe-t1.shop.db", HostIfaceName("t1", "shop", "db"), []Server{{TCP, 5432}}},
		{"infra/dns", "10.99.0.6", "fd00:99::ff", "loupe-t1.infra.dns", HostIfaceName("t1", "infra", "dns"), []Server{{DNS, 53}}},
	}
	if diff := cmp.Diff(got, want); diff != "" {
		t.Errorf("workloads (-got +want):\n%s", diff)
	}
	wantFlows := []Flow{
		{From: "shop/web", To: "shop/db", Protocol: TCP, Port: 5432, Family: Both, Rate: 1},
		{From: "shop/web", To: "shop/web", Protocol: HTTP, Port: 8080, Path: "/", Family: Both, Rate: 1},
		{From: "shop/db", To: "infra/dns", Protocol: DNS, Port: 53, Family: IPv6, Rate: 0.5, Query: "web.shop.svc.loupe."},
		{From: "shop/db", To: "shop/web", Protocol: ICMP, Family: IPv4, Rate: 1},
	}
	if diff := cmp.Diff(topo.Traffic, wantFlows); diff != "" {
		t.Errorf("traffic (-got +want):\n%s", diff)
	}
	if topo.IPv4Pool != netip.MustParsePrefix("10.99.0.0/29") || topo.DNSServer().Name != "dns" {
		t.Errorf("pool %s, dns server %v", topo.IPv4Pool, topo.DNSServer())
	}
	for _, w := range topo.Workloads {
		if len(w.HostIface) > 15 {
			t.Errorf("host interface %q is longer than 15 characters", w.HostIface)
		}
	}
}

func TestParseTopologyDemo(t *testing.T) {
	topo, err := ParseTopologyFile("demo.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"shop/frontend", "shop/catalog", "shop/cart", "shop/db", "infra/coredns"} {
		w := topo.Workload(id)
		if w == nil {
			t.Fatalf("demo has no %s", id)
		}
		if w.Labels["app"] == "" {
			t.Errorf("%s has no app label", id)
		}
	}
	kinds := map[Protocol]bool{}
	for _, f := range topo.Traffic {
		kinds[f.Protocol] = true
	}
	if len(kinds) != 5 {
		t.Errorf("demo traffic covers %v, want all five protocols", kinds)
	}
}

// replace swaps one line of base (1-based) for text.
func replace(line int, text string) string {
	lines := strings.Split(base, "\n")
	lines[line-1] = text
	return strings.Join(lines, "\n")
}

func TestParseTopologyErrors(t *testing.T) {
	for _, tc := range []struct {
		name, yaml, want string
	}{
		{"empty", "", "t.yaml: topology is empty; see deploy/lab/demo.yaml for an example"},
		{"not a mapping", "- a\n", "t.yaml:1: topology must be a mapping with name, ipv4Pool, ipv6Pool, workloads and traffic"},
		// yaml.v3 reports where the unclosed mapping starts.
		{"syntax", replace(7, "    labels: {app: web"), "t.yaml:7: did not find expected ',' or '}'"},
		{"indentation", replace(6, "   namespace: shop"), "t.yaml:5: did not find expected '-' indicator"},
		{"mapping value", replace(6, "    namespace: shop: x"), "t.yaml:6: mapping values are not allowed in this context"},
		{"two documents", base + "---\nname: x\n", "t.yaml:15: a topology file holds one YAML document; remove the second one (after ---)"},
		{"unknown top-level field", base + "nodes: 3\n",
			`t.yaml:15: unknown field "nodes" in the top level; known fields are ipv4Pool, ipv6Pool, name, traffic, workloads`},
		{"unknown workload field", replace(7, "    label: {app: web}"),
			`t.yaml:7: unknown field "label" in workloads[0]; known fields are external, ipv4, ipv6, labels, name, names, namespace, serve`},
		{"unknown serve field", replace(14, "      - {protocol: tcp, prot: 5432}"),
			"topology t.yaml has 2 problems:\n" +
				`  t.yaml:14: unknown field "prot" in workloads[1].serve[0]; known fields are port, protocol` + "\n" +
				"  t.yaml:14: serve tcp has no port; add port: 1-65535"},
		{"type error", replace(14, "      - {protocol: tcp, port: five}"),
			"t.yaml:14: cannot unmarshal !!str `five` into int"},
		{"no name", replace(1, "name: ''"),
			"t.yaml:1: name is required: the lab name prefixes everything the lab creates (e.g. name: demo)"},
		{"bad lab name", replace(1, "name: My.Lab"),
			`t.yaml:1: name "My.Lab" is not a valid lab name: use up to 32 lower-case letters, digits and '-', starting and ending with a letter or digit`},
		{"pool not a prefix", replace(2, "ipv4Pool: 10.99.0/24"),
			`t.yaml:2: ipv4Pool "10.99.0/24" is not a CIDR prefix like 10.200.0.0/24`},
		{"pool host bits", replace(2, "ipv4Pool: 10.99.0.1/24"),
			`t.yaml:2: ipv4Pool "10.99.0.1/24" has host bits set; write 10.99.0.0/24`},
		{"pool wrong family", replace(3, "ipv6Pool: 10.98.0.0/24"),
			`t.yaml:3: ipv6Pool "10.98.0.0/24" has the wrong IP version; write a prefix like fd00:10:200::/112`},
		{"pool reserved", replace(2, "ipv4Pool: 169.254.0.0/24"),
			"t.yaml:2: ipv4Pool 169.254.0.0/24 overlaps reserved range 169.254.0.0/16; pick a private range such as 10.200.0.0/24"},
		{"pool missing", replace(3, ""),
			"t.yaml:1: ipv6Pool is required: the prefix workload addresses come from (e.g. ipv6Pool: fd00:10:200::/112)"},
		{"pool exhausted", replace(2, "ipv4Pool: 10.99.0.0/31") + "  - {name: third}\n",
			"t.yaml:15: no free address left in ipv4Pool 10.99.0.0/31 for workload default/third; use a larger pool"},
		{"duplicate workload", replace(10, "  - name: web"),
			"t.yaml:10: duplicate workload shop/web (first defined on line 5); workload names must be unique within a namespace"},
		{"bad workload name", replace(5, "  - name: Web_1"),
			`t.yaml:5: workload name "Web_1" is not a DNS label: use up to 63 lower-case letters, digits and '-'`},
		{"address outside pool", replace(11, "    ipv4: 10.1.2.3"),
			"t.yaml:11: ipv4 10.1.2.3 is outside ipv4Pool 10.99.0.0/29; pick an address inside the pool or leave ipv4 out to allocate one"},
		{"address with prefix", replace(11, "    ipv6: fd00:99::5/128"),
			`t.yaml:11: ipv6 "fd00:99::5/128" is not an address; write one address without prefix length, or leave ipv6 out to allocate one`},
		{"broadcast address", replace(11, "    ipv4: 10.99.0.7"),
			"t.yaml:11: ipv4 10.99.0.7 is the network or broadcast address of 10.99.0.0/29; pick another"},
		{"duplicate address", base + "  - {name: a, ipv6: 'fd00:99::9'}\n  - {name: b, ipv6: 'fd00:99::9'}\n",
			"t.yaml:16: ipv6 fd00:99::9 is already used on line 15; addresses must be unique"},
		{"bad label key", replace(7, "    labels: {'-app': web}"),
			`t.yaml:7: workload shop/web: invalid label key "-app": want [prefix/]name of letters, digits, '-', '_', '.'`},
		{"bad label value", replace(12, "    labels:\n      app: 'd b'"),
			`t.yaml:13: workload shop/db: invalid label value "d b": want at most 63 letters, digits, '-', '_', '.'`},
		{"reserved label", replace(12, "    labels: {loupe.namespace: x}"),
			"t.yaml:12: label loupe.namespace is set from namespace; remove it and set namespace instead"},
		{"port out of range", replace(14, "      - {protocol: tcp, port: 70000}"),
			"t.yaml:14: port 70000 is out of range 1-65535"},
		{"port missing", replace(14, "      - {protocol: udp}"),
			"t.yaml:14: serve udp has no port; add port: 1-65535"},
		{"serve unknown protocol", replace(14, "      - {protocol: sctp, port: 5432}"),
			`t.yaml:14: unknown protocol "sctp" in serve; use http, grpc, kafka, tcp, udp or dns`},
		{"port served twice", replace(14, "      - {protocol: tcp, port: 5432}\n      - {protocol: http, port: 5432}"),
			"t.yaml:15: workload shop/db serves port tcp/5432 twice (also on line 14); use another port"},
		{"dns on another port", replace(14, "      - {protocol: dns, port: 5353}"),
			"t.yaml:14: dns must serve on port 53, the only port resolv.conf can name; remove port or set it to 53"},
		{"traffic unknown workload", base + "traffic:\n  - {from: web, to: cache, protocol: tcp, port: 1}\n",
			`t.yaml:16: traffic to: not found: workload "cache"; known workloads: shop/web, shop/db`},
		{"traffic ambiguous", base + "  - {name: db, namespace: other}\ntraffic:\n  - {from: web, to: db, protocol: tcp, port: 1}\n",
			`t.yaml:17: traffic to: ambiguous name: "db" is shop/db and other/db; write namespace/name; known workloads: shop/web, shop/db, other/db`},
		{"traffic unknown protocol", base + "traffic:\n  - {from: web, to: db, protocol: ftp, port: 21}\n",
			`t.yaml:16: unknown protocol "ftp" in traffic; use http, dns, tcp, udp or icmp`},
		{"traffic port range", base + "traffic:\n  - {from: web, to: db, protocol: tcp, port: -1}\n",
			"t.yaml:16: port -1 is out of range 1-65535"},
		{"traffic icmp port", base + "traffic:\n  - {from: web, to: db, protocol: icmp, port: 7}\n",
			"t.yaml:16: icmp has no port; remove port"},
		{"traffic needs port", base + "traffic:\n  - {from: web, to: db, protocol: udp}\n",
			"t.yaml:16: traffic udp to shop/db needs a port; add port: 1-65535"},
		{"traffic family", base + "traffic:\n  - {from: web, to: db, protocol: icmp, family: ipv5}\n",
			`t.yaml:16: unknown family "ipv5"; use ipv4, ipv6 or both`},
		{"traffic rate", base + "traffic:\n  - {from: web, to: db, protocol: icmp, rate: -2}\n",
			"t.yaml:16: rate -2 is out of range: actions per second, more than 0 and at most 1000"},
		{"traffic path", base + "traffic:\n  - {from: web, to: db, protocol: http, port: 5432, path: index.html}\n",
			`t.yaml:16: path "index.html" must start with / and hold no spaces or #`},
		{"several problems", replace(1, "name: x_y") + "traffic:\n  - {from: nobody, to: db, protocol: tcp, port: 99999}\n",
			"topology t.yaml has 3 problems:\n" +
				`  t.yaml:1: name "x_y" is not a valid lab name: use up to 32 lower-case letters, digits and '-', starting and ending with a letter or digit` + "\n" +
				`  t.yaml:16: traffic from: not found: workload "nobody"; known workloads: shop/web, shop/db` + "\n" +
				"  t.yaml:16: port 99999 is out of range 1-65535"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			topo, err := ParseTopology("t.yaml", []byte(tc.yaml))
			if err == nil {
				t.Fatalf("parsed %+v, want error %q", topo, tc.want)
			}
			if !errors.Is(err, ErrInvalidTopology) {
				t.Errorf("error %v is not ErrInvalidTopology", err)
			}
			if diff := cmp.Diff(err.Error(), tc.want); diff != "" {
				t.Errorf("error (-got +want):\n%s", diff)
			}
		})
	}
}

func TestParseTopologyFileMissing(t *testing.T) {
	_, err := ParseTopologyFile("testdata/does-not-exist.yaml")
	if !errors.Is(err, ErrInvalidTopology) || !strings.Contains(err.Error(), "testdata/does-not-exist.yaml: read topology:") {
		t.Errorf("got %v", err)
	}
}

func FuzzParseTopology(f *testing.F) {
	f.Add([]byte(base))
	f.Add([]byte(base + "traffic:\n  - {from: web, to: db, protocol: tcp, port: 5432}\n"))
	f.Add([]byte("a: &x [*x, *x]\n"))
	f.Add([]byte("workloads:\n  - <<: {name: a}\n    name: b\n"))
	if demo, err := os.ReadFile("demo.yaml"); err == nil {
		f.Add(demo)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		topo, err := ParseTopology("fuzz.yaml", data)
		if err != nil {
			var te *TopologyError
			if !errors.As(err, &te) || len(te.Problems) == 0 {
				t.Fatalf("error %v is not a TopologyError with problems", err)
			}
			return
		}
		// What parses is complete: every workload has both addresses,
		// inside the pools, and names that fit the kernel's limits.
		seen := map[netip.Addr]bool{}
		for _, w := range topo.Workloads {
			if !topo.IPv4Pool.Contains(w.IPv4) || !topo.IPv6Pool.Contains(w.IPv6) {
				t.Fatalf("%s has %s, %s outside the pools", w.ID(), w.IPv4, w.IPv6)
			}
			if seen[w.IPv4] || seen[w.IPv6] {
				t.Fatalf("%s reuses an address", w.ID())
			}
			seen[w.IPv4], seen[w.IPv6] = true, true
			if len(w.HostIface) > 15 || len(w.NetNS) > 255 {
				t.Fatalf("names too long: %q %q", w.HostIface, w.NetNS)
			}
		}
		for _, fl := range topo.Traffic {
			if topo.Workload(fl.From) == nil || topo.Workload(fl.To) == nil || fl.Rate <= 0 {
				t.Fatalf("bad flow %+v", fl)
			}
		}
	})
}
