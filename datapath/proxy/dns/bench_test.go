package dnsproxy

import (
	"testing"

	"github.com/miekg/dns"

	"github.com/loupe-dev/loupe/api/flow"
	"github.com/loupe-dev/loupe/datapath/fqdn"
	"github.com/loupe-dev/loupe/datapath/proxy"
)

// BenchmarkQueries: queries/s to the loopback server directly and through
// the handler (loopback sockets on both legs, the real name cache, one
// client connection per parallel worker), in the same run. The proxy's
// cost is the extra hop: a socket per UDP query to the server, the
// parsing, the flows.
func BenchmarkQueries(b *testing.B) {
	srv := startServer(b)
	for _, network := range []string{"udp", "tcp"} {
		proto := uint8(17)
		if network == "tcp" {
			proto = 6
		}
		h := New(Config{}, proxy.PlainDialer{}, func(*flow.Flow) {}, fqdn.New(fqdn.Config{}, nil), nil)
		var proxied string
		if network == "udp" {
			proxied = serveUDP(b, h, testConn(b, srv, proto))
		} else {
			proxied = serveTCP(b, h, testConn(b, srv, proto))
		}
		for _, target := range []struct{ name, addr string }{{"direct", srv.addr.String()}, {"proxy", proxied}} {
			b.Run(network+"/"+target.name, func(b *testing.B) {
				b.RunParallel(func(pb *testing.PB) {
					co, err := dns.Dial(network, target.addr)
					if err != nil {
						b.Error(err)
						return
					}
					defer co.Close()
					q := query("a.example.com", dns.TypeA)
					for pb.Next() {
						q.Id = dns.Id()
						if err := co.WriteMsg(q); err != nil {
							b.Error(err)
							return
						}
						if r, err := co.ReadMsg(); err != nil || r.Rcode != dns.RcodeSuccess {
							b.Errorf("answer %v, %v", r, err)
							return
						}
					}
				})
				b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "queries/s")
			})
		}
	}
}
