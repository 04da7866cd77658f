package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"
)

// httpServer is one of the CLI's HTTP listeners (metrics, the query API):
// it serves from start until stop.
type httpServer struct {
	what string
	srv  *http.Server
	addr net.Addr
	done chan struct{}
}

// serveHTTP listens on addr (flag names the flag for errors) and serves h
// in its own goroutine, owned by the returned server.
func serveHTTP(what, flag, addr string, h http.Handler, log *slog.Logger) (*httpServer, error) {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, badInput("%s %s: %v", flag, addr, err)
	}
	s := &httpServer{
		what: what,
		srv:  &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second},
		addr: l.Addr(), done: make(chan struct{}),
	}
	go func() {
		defer close(s.done)
		if err := s.srv.Serve(l); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Warn("serve "+what, "error", err)
		}
	}()
	log.Info("serving "+what, "address", l.Addr().String())
	return s, nil
}

// stop ends the server, letting a request in progress finish briefly.
func (s *httpServer) stop() error {
	if s == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	err := s.srv.Shutdown(ctx)
	<-s.done
	if err != nil {
		return fmt.Errorf("stop %s server: %w", s.what, err)
	}
	return nil
}
