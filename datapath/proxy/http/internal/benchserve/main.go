// Command benchserve runs the pieces of the HTTP proxy benchmark on
// loopback, each in its own process so that the proxy's CPU is its own:
//
//	benchserve -mode backend -listen 127.0.0.1:18080   # answers 1 KiB
//	benchserve -mode proxy -listen 127.0.0.1:18081 -upstream 127.0.0.1:18080
//
// The proxy mode serves every connection with the handler as if the
// datapath had redirected it to -upstream, under a one-rule policy.
// deploy/bench_http_proxy.sh drives both with hey.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"os"
	"os/signal"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"

	"github.com/loupe-dev/loupe/api/flow"
	"github.com/loupe-dev/loupe/datapath/policy"
	"github.com/loupe-dev/loupe/datapath/proxy"
	httpproxy "github.com/loupe-dev/loupe/datapath/proxy/http"
)

func main() {
	mode := flag.String("mode", "proxy", "backend or proxy")
	listen := flag.String("listen", "127.0.0.1:18081", "address to listen on")
	upstream := flag.String("upstream", "127.0.0.1:18080", "the backend (proxy mode)")
	size := flag.Int("size", 1024, "response body bytes (backend mode)")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var err error
	switch *mode {
	case "backend":
		err = backend(ctx, *listen, *size)
	case "proxy":
		err = serveProxy(ctx, *listen, *upstream)
	default:
		err = fmt.Errorf("unknown mode %q", *mode)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "benchserve:", err)
		os.Exit(1)
	}
}

func backend(ctx context.Context, listen string, size int) error {
	body := strings.Repeat("x", size)
	var p http.Protocols
	p.SetHTTP1(true)
	p.SetUnencryptedHTTP2(true)
	srv := &http.Server{Addr: listen, Protocols: &p, Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		io.WriteString(w, body)
	})}
	go func() {
		<-ctx.Done()
		srv.Close()
	}()
	if err := srv.ListenAndServe(); err != http.ErrServerClosed {
		return fmt.Errorf("serve backend: %w", err)
	}
	return nil
}

func serveProxy(ctx context.Context, listen, upstream string) error {
	dst, err := netip.ParseAddrPort(upstream)
	if err != nil {
		return fmt.Errorf("parse upstream: %w", err)
	}
	rule, err := policy.NewHTTPRule(policy.HTTPRule{Method: "GET|HEAD", Path: "/.*"})
	if err != nil {
		return err
	}
	pol := &proxy.Policy{Egress: &policy.L7Set{Grants: []policy.L7Grant{{
		Policy: "bench/allow", Rules: &policy.L7Rules{HTTP: []policy.HTTPRule{rule}},
	}}}}
	// The flows are built as in the agent; the collector's queue is a
	// counter here.
	var flows atomic.Int64
	emit := func(*flow.Flow) { flows.Add(1) }
	h := httpproxy.New(httpproxy.Config{}, proxy.PlainDialer{}, emit, slog.Default())
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	go func() {
		<-ctx.Done()
		ln.Close()
	}()
	var wg sync.WaitGroup
	defer wg.Wait()
	for {
		c, err := ln.Accept()
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("accept: %w", err)
		}
		m := &proxy.Conn{Src: c.RemoteAddr().(*net.TCPAddr).AddrPort(), Dst: dst, Proto: 6, Policy: pol}
		wg.Add(1)
		go func() {
			defer wg.Done()
			h.ServeConn(ctx, c, m)
		}()
	}
}
