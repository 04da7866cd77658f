package proxy

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"

	"github.com/cilium/ebpf"

	"github.com/loupe-dev/loupe/datapath/policy"
)

// Resolver gives a redirected connection its identities and L7 policy. nil
// means the addresses are unknown to the node: the connection is refused.
type Resolver interface {
	Resolve(src, dst netip.AddrPort, proto uint8) *Conn
}

// Handlers are the protocol handlers, by L7 parser; a parser without a
// handler gets no listener (the datapath then drops with
// PROXY_UNAVAILABLE, which tells the user what is missing).
type Handlers struct {
	HTTP, Kafka, DNS StreamHandler
	DNSPackets       PacketHandler
}

// Config sets up the proxy's sockets.
type Config struct {
	// Sockets is the datapath's proxy_sockets map; nil for tests that
	// connect to the listeners directly.
	Sockets *ebpf.Map
	// Routing installs the local delivery of marked packets; skipped when
	// Sockets is nil.
	Routing Routing
	// MaxConns bounds the connections (and datagrams) in flight per
	// listener; more are refused and counted. Default 4096.
	MaxConns int
}

// Stats counts what the proxy refused.
type Stats struct {
	Accepted, Refused, Unresolved uint64
}

// Server owns the listeners and the goroutines serving them.
type Server struct {
	cfg      Config
	handlers Handlers
	resolver Resolver
	log      *slog.Logger

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
	mu     sync.Mutex
	closer []func() error
	addrs  map[string]net.Addr

	accepted, refused, unresolved atomic.Uint64
}

// New constructs a server; Start opens its sockets.
func New(cfg Config, h Handlers, r Resolver, log *slog.Logger) *Server {
	if cfg.MaxConns <= 0 {
		cfg.MaxConns = 4096
	}
	return &Server{cfg: cfg, handlers: h, resolver: r, log: log, addrs: map[string]net.Addr{}}
}

// Start installs routing, opens a transparent listener per parser and
// family on loopback, and registers it with the datapath.
func (s *Server) Start() error {
	s.ctx, s.cancel = context.WithCancel(context.Background())
	if s.cfg.Sockets != nil {
		if err := s.cfg.Routing.Install(); err != nil {
			return err
		}
		s.closer = append(s.closer, s.cfg.Routing.Remove)
	}
	streams := []struct {
		parser policy.L7Parser
		h      StreamHandler
	}{{policy.L7HTTP, s.handlers.HTTP}, {policy.L7Kafka, s.handlers.Kafka}, {policy.L7DNS, s.handlers.DNS}}
	for _, st := range streams {
		if st.h == nil {
			continue
		}
		for _, fam := range []string{"4", "6"} {
			if err := s.listenStream(st.parser, fam, st.h); err != nil {
				s.Stop()
				return err
			}
		}
	}
	if s.handlers.DNSPackets != nil {
		for _, fam := range []string{"4", "6"} {
			if err := s.listenPackets(policy.L7DNS, fam, s.handlers.DNSPackets); err != nil {
				s.Stop()
				return err
			}
		}
	}
	return nil
}

// Addr is the listener of a parser, network ("tcp4", "udp6", ...): for
// tests that connect directly.
func (s *Server) Addr(p policy.L7Parser, network string) net.Addr {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.addrs[p.String()+"/"+network]
}

// Stats returns the counters.
func (s *Server) Stats() Stats {
	return Stats{Accepted: s.accepted.Load(), Refused: s.refused.Load(), Unresolved: s.unresolved.Load()}
}

// Stop closes the listeners (their sockmap entries go with them), ends
// every connection, waits for the goroutines and removes the routing.
func (s *Server) Stop() error {
	if s.cancel == nil {
		return nil
	}
	s.cancel()
	var errs []error
	for i := len(s.closer) - 1; i >= 0; i-- {
		if err := s.closer[i](); err != nil && !errors.Is(err, net.ErrClosed) {
			errs = append(errs, err)
		}
	}
	s.closer = nil
	s.wg.Wait()
	return errors.Join(errs...)
}

func loopback(fam string) string {
	if fam == "6" {
		return "[::1]:0"
	}
	return "127.0.0.1:0"
}

// register puts a socket into the datapath's proxy_sockets map.
func (s *Server) register(p policy.L7Parser, fam string, c interface {
	SyscallConn() (syscallRawConn, error)
}) error {
	if s.cfg.Sockets == nil {
		return nil
	}
	raw, err := c.SyscallConn()
	if err != nil {
		return err
	}
	key := uint32(p&3) * 2
	if fam == "6" {
		key++
	}
	var perr error
	if err := raw.Control(func(fd uintptr) { perr = s.cfg.Sockets.Put(key, uint64(fd)) }); err != nil {
		return err
	}
	if perr != nil {
		return fmt.Errorf("register %s proxy socket (ipv%s): %w", p, fam, perr)
	}
	return nil
}
