package proxy

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/cilium/ebpf"

	"github.com/loupe-dev/loupe/datapath/loader"
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
	// Ports is the datapath's proxy_ports map, where the listeners'
	// ports are published; nil for tests that connect to the listeners
	// directly.
	Ports *ebpf.Map
	// Routing installs the local delivery of marked packets; skipped when
	// Ports is nil.
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
	replies                       replySockets
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
	s.closer = append(s.closer, s.replies.close)
	if s.cfg.Ports != nil {
		if err := s.cfg.Routing.Install(); err != nil {
			return err
		}
		// The routing stays when the proxy stops, as the datapath's
		// programs do: it is inert without marked packets, and agents
		// (and tests) on one host share it. Routing.Remove takes it away.
		s.closer = append(s.closer, s.unpublish)
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

// Stop unpublishes the ports, closes the listeners, ends every
// connection and waits for the goroutines.
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

// publish writes a listener's port into the datapath's proxy_ports.
func (s *Server) publish(p policy.L7Parser, network string, addr net.Addr) error {
	if s.cfg.Ports == nil {
		return nil
	}
	var port int
	switch a := addr.(type) {
	case *net.TCPAddr:
		port = a.Port
	case *net.UDPAddr:
		port = a.Port
	}
	idx := 0
	if strings.HasPrefix(network, "udp") {
		idx += 2
	}
	if strings.HasSuffix(network, "6") {
		idx++
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	key := uint32(p)
	var v loader.LoupeProxyPorts
	_ = s.cfg.Ports.Lookup(key, &v)
	v.Port[idx] = uint16(port)
	if err := s.cfg.Ports.Put(key, &v); err != nil {
		return fmt.Errorf("publish %s proxy port (%s): %w", p, network, err)
	}
	return nil
}

// unpublish clears every port, so that the datapath drops L7 traffic
// (PROXY_UNAVAILABLE) instead of looking for a listener that is gone.
func (s *Server) unpublish() error {
	var errs []error
	for _, p := range []policy.L7Parser{policy.L7HTTP, policy.L7DNS, policy.L7Kafka} {
		if err := s.cfg.Ports.Put(uint32(p), &loader.LoupeProxyPorts{}); err != nil {
			errs = append(errs, fmt.Errorf("clear %s proxy ports: %w", p, err))
		}
	}
	return errors.Join(errs...)
}
