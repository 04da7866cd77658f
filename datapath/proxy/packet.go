package proxy

import (
	"fmt"
	"net"
	"net/netip"

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
	for {
		buf := make([]byte, maxDatagram)
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
		pkt := buf[:n]
		go func() {
			defer s.wg.Done()
			defer func() { <-slots }()
			h.ServePacket(s.ctx, pkt, m, func(b []byte) error { return replyFrom(fam, m.Dst, m.Src, b) })
		}()
	}
}

// replyFrom sends a datagram to the client from the address it asked, on
// a transparent socket bound there for this one reply.
func replyFrom(fam string, from, to netip.AddrPort, b []byte) error {
	d := net.Dialer{Control: transparent(0, false), LocalAddr: net.UDPAddrFromAddrPort(from)}
	c, err := d.Dial("udp"+fam, to.String())
	if err != nil {
		return fmt.Errorf("reply socket from %s: %w", from, err)
	}
	defer c.Close()
	if _, err := c.Write(b); err != nil {
		return fmt.Errorf("reply to %s: %w", to, err)
	}
	return nil
}
