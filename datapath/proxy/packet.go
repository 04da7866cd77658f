package proxy

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"sync"

	"github.com/loupe-dev/loupe/datapath/policy"
)

// maxDatagram bounds a redirected datagram (DNS over UDP is at most 64 KiB).
const maxDatagram = 65535

// listenPackets opens a transparent UDP socket and serves its datagrams,
// each on its own goroutine, at most MaxConns at a time.
func (s *Server) listenPackets(p policy.L7Parser, fam string, h PacketHandler) error {
	lc := net.ListenConfig{Control: transparent(0, true)}
	pc, err := lc.ListenPacket(s.ctx, "udp"+fam, loopback(fam))
	if err != nil {
		return fmt.Errorf("%s proxy socket (udp, ipv%s): %w", p, fam, err)
	}
	uc := pc.(*net.UDPConn)
	if err := s.publish(p, "udp"+fam, uc.LocalAddr()); err != nil {
		uc.Close()
		return err
	}
	s.mu.Lock()
	s.addrs[p.String()+"/udp"+fam] = uc.LocalAddr()
	s.closer = append(s.closer, uc.Close)
	s.mu.Unlock()
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		s.readLoop(uc, fam, h)
	}()
	return nil
}

func (s *Server) readLoop(uc *net.UDPConn, fam string, h PacketHandler) {
	slots := make(chan struct{}, s.cfg.MaxConns)
	oob := make([]byte, 128)
	buf := make([]byte, maxDatagram)
	for {
		n, oobn, _, from, err := uc.ReadMsgUDPAddrPort(buf, oob)
		if err != nil {
			if s.ctx.Err() != nil {
				return
			}
			s.log.Warn("proxy read", "error", err)
			continue
		}
		dst, ok := origDst(oob[:oobn])
		if !ok {
			// Sent to the socket itself, not redirected: not ours to serve.
			s.unresolved.Add(1)
			continue
		}
		m := s.resolver.Resolve(unmap(from), unmap(dst), 17)
		if m == nil {
			s.unresolved.Add(1)
			continue
		}
		select {
		case slots <- struct{}{}:
		default:
			s.refused.Add(1)
			continue
		}
		s.accepted.Add(1)
		s.wg.Add(1)
		// The read buffer is reused: a datagram gets a copy of its size.
		pkt := append([]byte(nil), buf[:n]...)
		go func() {
			defer s.wg.Done()
			defer func() { <-slots }()
			h.ServePacket(s.ctx, pkt, m, func(b []byte) error { return s.replies.send(fam, m.Dst, m.Src, b) })
		}()
	}
}

// maxReplySockets bounds the transparent sockets kept to answer clients
// from the addresses they asked (one per server address).
const maxReplySockets = 256

// replySockets are unconnected transparent UDP sockets bound to the
// servers' addresses, so that an answer costs one sendto, not a socket's
// life. Packets for those addresses never reach them: what the datapath
// redirects is assigned to the proxy's listener, the rest is forwarded.
type replySockets struct {
	mu    sync.Mutex
	socks map[netip.AddrPort]*net.UDPConn
}

// send writes b to the client from the server address.
func (r *replySockets) send(fam string, from, to netip.AddrPort, b []byte) error {
	c, err := r.get(fam, from)
	if err != nil {
		return err
	}
	if _, err := c.WriteToUDPAddrPort(b, to); err != nil {
		r.drop(from, c)
		return fmt.Errorf("reply to %s: %w", to, err)
	}
	return nil
}

func (r *replySockets) get(fam string, from netip.AddrPort) (*net.UDPConn, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if c, ok := r.socks[from]; ok {
		return c, nil
	}
	if r.socks == nil {
		r.socks = map[netip.AddrPort]*net.UDPConn{}
	}
	if len(r.socks) >= maxReplySockets {
		for a, c := range r.socks { // any one: map order is random
			c.Close()
			delete(r.socks, a)
			break
		}
	}
	lc := net.ListenConfig{Control: transparent(0, false)}
	pc, err := lc.ListenPacket(context.Background(), "udp"+fam, from.String())
	if err != nil {
		return nil, fmt.Errorf("reply socket from %s: %w", from, err)
	}
	c := pc.(*net.UDPConn)
	r.socks[from] = c
	return c, nil
}

func (r *replySockets) drop(from netip.AddrPort, c *net.UDPConn) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.socks[from] == c {
		delete(r.socks, from)
	}
	c.Close()
}

// close closes every socket.
func (r *replySockets) close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	for a, c := range r.socks {
		c.Close()
		delete(r.socks, a)
	}
	return nil
}
