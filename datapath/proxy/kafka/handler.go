package kafkaproxy

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"sync"

	"github.com/loupe-dev/loupe/datapath/proxy"
)

// Handler is the Kafka protocol handler of the L7 proxy: a
// proxy.StreamHandler. One Handler serves any number of connections.
type Handler struct {
	cfg  Config
	dial proxy.Dialer
	emit proxy.Emitter
	log  *slog.Logger
}

var _ proxy.StreamHandler = (*Handler)(nil)

// New returns a handler that opens upstream connections with dial and
// hands flows to emit. A nil log discards.
func New(cfg Config, dial proxy.Dialer, emit proxy.Emitter, log *slog.Logger) *Handler {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Handler{cfg: cfg.withDefaults(), dial: dial, emit: emit, log: log}
}

// ServeConn proxies one client connection until the client or the broker
// closes it, a protocol error ends it, or ctx ends; it closes c.
//
// Two goroutines serve it: this one reads and decides requests, the relay
// writes the answers back in request order (reading the broker's responses
// for forwarded requests). Both end with the connection.
func (h *Handler) ServeConn(ctx context.Context, c net.Conn, m *proxy.Conn) {
	if m.Policy == nil {
		mm := *m
		mm.Policy = denyAll()
		m = &mm
	}
	ctx, cancel := context.WithCancel(ctx)
	s := &session{
		h:      h,
		client: c,
		meta:   m,
		queue:  make(chan *pending, h.cfg.MaxInFlight),
		all:    allowsAll(m.Policy),
	}
	// Ending the context closes both sides, which unblocks every read and
	// write of both goroutines.
	stop := context.AfterFunc(ctx, s.closeAll)
	var wg sync.WaitGroup
	wg.Go(func() {
		defer cancel()
		s.relay(ctx)
	})
	if s.readLoop(ctx) {
		// Answers queued before the end still go out (a denied
		// acks=0 produce closes the connection after them).
		close(s.queue)
	} else {
		cancel()
	}
	wg.Wait()
	cancel()
	stop()
	s.closeAll()
}

// session is one proxied connection.
type session struct {
	h      *Handler
	client net.Conn
	meta   *proxy.Conn
	queue  chan *pending
	all    bool // the policy allows every request

	mu       sync.Mutex
	upstream net.Conn
	closed   bool
}

// closeAll closes the client and the upstream connection, and makes sure
// no upstream connection is opened afterwards.
func (s *session) closeAll() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	s.client.Close()
	if s.upstream != nil {
		s.upstream.Close()
	}
}

// upstreamConn opens the broker connection on first use.
func (s *session) upstreamConn(ctx context.Context) (net.Conn, error) {
	s.mu.Lock()
	up := s.upstream
	s.mu.Unlock()
	if up != nil {
		return up, nil
	}
	up, err := s.h.dial.Dial(ctx, "tcp", s.meta)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		up.Close()
		return nil, net.ErrClosed
	}
	s.upstream = up
	return up, nil
}

// quiet reports whether an error is the ordinary end of a connection.
func quiet(ctx context.Context, err error) bool {
	return ctx.Err() != nil || errors.Is(err, io.EOF) || errors.Is(err, net.ErrClosed)
}
