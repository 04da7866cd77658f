package live

import (
	"context"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"

	"github.com/gorilla/websocket"

	"github.com/loupe-dev/loupe/api/observer"
)

// Handler upgrades browsers to WebSocket and streams flows to them. Each
// connection is served by the request's goroutine (and the two it starts)
// until the browser leaves or Stop is called.
type Handler struct {
	cfg      Config
	obs      observer.ObserverClient
	parse    FilterParser
	log      *slog.Logger
	upgrader websocket.Upgrader

	ctx    context.Context
	cancel context.CancelFunc
	// mu orders wg.Add before Stop's wg.Wait: no connection starts once
	// stopped is set.
	mu      sync.Mutex
	stopped bool
	wg      sync.WaitGroup
	slots   chan struct{}
	stats   Stats
}

// Stats counts what the handler did since it started.
type Stats struct {
	Clients        atomic.Int64
	Refused        atomic.Uint64 // too many clients
	Malformed      atomic.Uint64 // connections ended for a protocol violation
	RateLimited    atomic.Uint64 // flows dropped by a client's rate
	QueueOverflows atomic.Uint64 // records dropped for a slow browser
}

// New returns a handler that reads flows from obs.
func New(cfg Config, obs observer.ObserverClient, parse FilterParser, log *slog.Logger) *Handler {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &Handler{
		cfg: cfg, obs: obs, parse: parse, log: log,
		// The default origin check stays: a page of another site may not
		// open the stream with the user's browser.
		upgrader: websocket.Upgrader{ReadBufferSize: 4096, WriteBufferSize: 32 << 10},
		ctx:      ctx, cancel: cancel,
		slots: make(chan struct{}, cfg.MaxClients),
	}
}

// Stats returns the handler's counters.
func (h *Handler) Stats() *Stats { return &h.stats }

// ServeHTTP serves one browser until it leaves.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	select {
	case h.slots <- struct{}{}:
	default:
		h.stats.Refused.Add(1)
		http.Error(w, "too many live clients", http.StatusServiceUnavailable)
		return
	}
	defer func() { <-h.slots }()
	h.mu.Lock()
	if h.stopped {
		h.mu.Unlock()
		http.Error(w, "stopping", http.StatusServiceUnavailable)
		return
	}
	h.wg.Add(1)
	h.mu.Unlock()
	defer h.wg.Done()
	conn, err := h.upgrader.Upgrade(w, r, nil)
	if err != nil {
		return // the upgrader answered the request
	}
	h.stats.Clients.Add(1)
	defer h.stats.Clients.Add(-1)
	newClient(h, conn).serve(h.ctx)
}

// Stop ends every connection and waits for their goroutines.
func (h *Handler) Stop() {
	h.mu.Lock()
	h.stopped = true
	h.mu.Unlock()
	h.cancel()
	h.wg.Wait()
}
