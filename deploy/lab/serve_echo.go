package lab

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"sync"
	"time"
)

const (
	// maxEchoConns bounds concurrent TCP echo connections; more are closed
	// at once (and logged), never queued without limit.
	maxEchoConns = 256
	// echoIdle closes TCP connections that stay silent this long.
	echoIdle = 30 * time.Second
)

// tcpEcho sends back whatever a connection sends, like a database that
// answers every query: enough for connection and byte counts.
type tcpEcho struct {
	ln  net.Listener
	log *slog.Logger
}

func listenTCPEcho(port uint16, log *slog.Logger) (*tcpEcho, error) {
	ln, err := net.Listen("tcp", fmt.Sprintf(":%d", port))
	if err != nil {
		return nil, err
	}
	return &tcpEcho{ln: ln, log: log}, nil
}

func (s *tcpEcho) close() { s.ln.Close() }

func (s *tcpEcho) serve(ctx context.Context) error {
	var (
		mu    sync.Mutex
		conns = make(map[net.Conn]struct{})
		wg    sync.WaitGroup
	)
	// Closing the listener and every connection is how the accept loop and
	// the handlers learn that ctx is done.
	closeAll := func() {
		s.ln.Close()
		mu.Lock()
		for c := range conns {
			c.Close()
		}
		mu.Unlock()
	}
	stop := context.AfterFunc(ctx, closeAll)
	defer stop()
	defer wg.Wait()
	for {
		c, err := s.ln.Accept()
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			closeAll()
			return fmt.Errorf("accept: %w", err)
		}
		mu.Lock()
		if len(conns) >= maxEchoConns || ctx.Err() != nil {
			mu.Unlock()
			s.log.Warn("too many echo connections, closing one", "limit", maxEchoConns, "client", c.RemoteAddr().String())
			c.Close()
			continue
		}
		conns[c] = struct{}{}
		mu.Unlock()
		wg.Go(func() {
			defer func() {
				mu.Lock()
				delete(conns, c)
				mu.Unlock()
				c.Close()
			}()
			echo(c)
		})
	}
}

// echo copies c back to itself until EOF, an error or echoIdle of silence.
func echo(c net.Conn) {
	buf := make([]byte, 4096)
	for {
		c.SetDeadline(time.Now().Add(echoIdle))
		n, err := c.Read(buf)
		if n > 0 {
			if _, werr := c.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			if errors.Is(err, io.EOF) {
				if tc, ok := c.(*net.TCPConn); ok {
					tc.CloseWrite()
				}
			}
			return
		}
	}
}

// udpEcho sends every datagram back to its sender.
type udpEcho struct {
	pc net.PacketConn
}

func listenUDPEcho(port uint16) (*udpEcho, error) {
	pc, err := net.ListenPacket("udp", fmt.Sprintf(":%d", port))
	if err != nil {
		return nil, err
	}
	return &udpEcho{pc: pc}, nil
}

func (s *udpEcho) close() { s.pc.Close() }

func (s *udpEcho) serve(ctx context.Context) error {
	stop := context.AfterFunc(ctx, func() { s.pc.Close() })
	defer stop()
	buf := make([]byte, 65535)
	for {
		n, addr, err := s.pc.ReadFrom(buf)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("read udp: %w", err)
		}
		// A lost reply is what UDP does; the sender times out and counts it.
		s.pc.WriteTo(buf[:n], addr)
	}
}
