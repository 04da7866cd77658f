package proxy

import (
	"fmt"
	"net"
	"net/netip"

	"github.com/loupe-dev/loupe/datapath/policy"
)

// listenStream opens a transparent TCP listener and serves it.
func (s *Server) listenStream(p policy.L7Parser, fam string, h StreamHandler) error {
	lc := net.ListenConfig{Control: transparent(0, false)}
	ln, err := lc.Listen(s.ctx, "tcp"+fam, loopback(fam))
	if err != nil {
		return fmt.Errorf("%s proxy listener (ipv%s): %w", p, fam, err)
	}
	tl := ln.(*net.TCPListener)
	if err := s.publish(p, "tcp"+fam, ln.Addr()); err != nil {
		ln.Close()
		return err
	}
	s.mu.Lock()
	s.addrs[p.String()+"/tcp"+fam] = ln.Addr()
	s.closer = append(s.closer, ln.Close)
	s.mu.Unlock()
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		s.acceptLoop(tl, h)
	}()
	return nil
}

func (s *Server) acceptLoop(ln *net.TCPListener, h StreamHandler) {
	slots := make(chan struct{}, s.cfg.MaxConns)
	for {
		c, err := ln.AcceptTCP()
		if err != nil {
			if s.ctx.Err() != nil {
				return
			}
			s.log.Warn("proxy accept", "error", err)
			continue
		}
		select {
		case slots <- struct{}{}:
		default:
			s.refused.Add(1)
			c.Close()
			continue
		}
		s.accepted.Add(1)
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			defer func() { <-slots }()
			s.serveStream(c, h)
		}()
	}
}

func (s *Server) serveStream(c *net.TCPConn, h StreamHandler) {
	// Transparent sockets: the local address is the server the client
	// asked for.
	src := c.RemoteAddr().(*net.TCPAddr).AddrPort()
	dst := c.LocalAddr().(*net.TCPAddr).AddrPort()
	m := s.resolver.Resolve(unmap(src), unmap(dst), 6)
	if m == nil {
		s.unresolved.Add(1)
		c.Close()
		return
	}
	// End the connection when the proxy stops.
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		select {
		case <-s.ctx.Done():
			c.Close()
		case <-stop:
		}
	}()
	h.ServeConn(s.ctx, c, m)
}

func unmap(a netip.AddrPort) netip.AddrPort {
	return netip.AddrPortFrom(a.Addr().Unmap(), a.Port())
}
