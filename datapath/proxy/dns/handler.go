package dnsproxy

import (
	"context"
	"log/slog"
	"net/netip"
	"sync/atomic"
	"time"

	"github.com/loupe-dev/loupe/api/flow"
	"github.com/loupe-dev/loupe/datapath/proxy"
)

// NameLearner takes what an answer said before the answer is released:
// fqdn.Cache. Learn returns once the policy for new addresses is
// installed; an error makes the proxy answer SERVFAIL.
type NameLearner interface {
	Learn(ctx context.Context, name string, ips []netip.Addr, ttl time.Duration, cnames []string) error
}

// Handler is the DNS handler of the L7 proxy, for UDP (PacketHandler) and
// TCP (StreamHandler). One Handler serves every client.
type Handler struct {
	cfg   Config
	dial  proxy.Dialer
	emit  proxy.Emitter
	names NameLearner
	log   *slog.Logger

	slots chan struct{} // UDP queries waiting for the server
	stats counters
}

var (
	_ proxy.PacketHandler = (*Handler)(nil)
	_ proxy.StreamHandler = (*Handler)(nil)
)

// New returns a handler that reaches servers with dial, hands flows to
// emit and answers to names (nil: learn nothing). A nil log discards.
func New(cfg Config, dial proxy.Dialer, emit proxy.Emitter, names NameLearner, log *slog.Logger) *Handler {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if emit == nil {
		emit = func(*flow.Flow) {}
	}
	cfg = cfg.withDefaults()
	return &Handler{
		cfg: cfg, dial: dial, emit: emit, names: names, log: log,
		slots: make(chan struct{}, cfg.MaxInFlight),
	}
}

type counters struct {
	queries, denied, forwarded, malformed atomic.Uint64
	upstreamErrors, learnErrors, busy     atomic.Uint64
	mismatched                            atomic.Uint64
}

// Stats are the handler's counters, for metrics.
type Stats struct {
	// Queries counts well-formed queries, Denied those answered REFUSED,
	// Forwarded those sent to the server.
	Queries, Denied, Forwarded uint64
	// Malformed counts messages that were not a DNS query.
	Malformed uint64
	// UpstreamErrors counts exchanges that failed or timed out,
	// LearnErrors answers held back because the name cache failed, Busy
	// UDP queries over MaxInFlight; all were answered SERVFAIL.
	UpstreamErrors, LearnErrors, Busy uint64
	// Mismatched counts datagrams from the server that answered no
	// pending query (wrong id or question), ignored.
	Mismatched uint64
}

// Stats returns the counters.
func (h *Handler) Stats() Stats {
	s := &h.stats
	return Stats{
		Queries: s.queries.Load(), Denied: s.denied.Load(), Forwarded: s.forwarded.Load(),
		Malformed: s.malformed.Load(), UpstreamErrors: s.upstreamErrors.Load(),
		LearnErrors: s.learnErrors.Load(), Busy: s.busy.Load(), Mismatched: s.mismatched.Load(),
	}
}
