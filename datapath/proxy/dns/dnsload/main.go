// Command dnsload measures a DNS server's queries/s: workers send one
// query at a time each (one connected socket per worker, UDP or TCP) for a
// duration, and it prints one line of figures. deploy/bench_dns_proxy.sh
// runs it against a server directly and through the proxy.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"slices"
	"sync"
	"time"

	"github.com/miekg/dns"
)

func main() {
	server := flag.String("server", "127.0.0.1:53", "server address host:port")
	network := flag.String("net", "udp", "udp or tcp")
	name := flag.String("name", "example.com", "name to query")
	qtype := flag.String("type", "A", "query type")
	workers := flag.Int("c", 8, "concurrent workers")
	duration := flag.Duration("d", 10*time.Second, "how long to run")
	timeout := flag.Duration("timeout", 2*time.Second, "per-query timeout")
	flag.Parse()
	t, ok := dns.StringToType[*qtype]
	if !ok {
		fmt.Fprintf(os.Stderr, "dnsload: unknown type %q\n", *qtype)
		os.Exit(2)
	}
	ctx, cancel := context.WithTimeout(context.Background(), *duration)
	defer cancel()
	var mu sync.Mutex
	var lat []time.Duration
	var errs int
	var wg sync.WaitGroup
	start := time.Now()
	for range *workers {
		wg.Go(func() {
			l, e := worker(ctx, *network, *server, dns.Fqdn(*name), t, *timeout)
			mu.Lock()
			lat, errs = append(lat, l...), errs+e
			mu.Unlock()
		})
	}
	wg.Wait()
	took := time.Since(start)
	slices.Sort(lat)
	pct := func(p float64) time.Duration {
		if len(lat) == 0 {
			return 0
		}
		return lat[int(float64(len(lat)-1)*p)]
	}
	fmt.Printf("server=%s net=%s workers=%d qps=%.0f ok=%d errors=%d p50_us=%d p99_us=%d\n",
		*server, *network, *workers, float64(len(lat))/took.Seconds(), len(lat), errs,
		pct(0.5).Microseconds(), pct(0.99).Microseconds())
}

// worker queries until ctx ends: the latencies of answered queries and
// the count of failures (a failure reconnects).
func worker(ctx context.Context, network, server, name string, t uint16, timeout time.Duration) ([]time.Duration, int) {
	var lat []time.Duration
	errs := 0
	var co *dns.Conn
	defer func() {
		if co != nil {
			co.Close()
		}
	}()
	q := new(dns.Msg)
	q.SetQuestion(name, t)
	for ctx.Err() == nil {
		if co == nil {
			c, err := dns.DialTimeout(network, server, timeout)
			if err != nil {
				errs++
				time.Sleep(10 * time.Millisecond)
				continue
			}
			co = c
		}
		q.Id = dns.Id()
		begin := time.Now()
		co.SetDeadline(begin.Add(timeout))
		err := co.WriteMsg(q)
		var r *dns.Msg
		if err == nil {
			r, err = co.ReadMsg()
		}
		if err != nil || r.Id != q.Id || r.Rcode != dns.RcodeSuccess {
			errs++
			co.Close()
			co = nil
			continue
		}
		lat = append(lat, time.Since(begin))
	}
	return lat, errs
}
