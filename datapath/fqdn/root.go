package fqdn

import (
	"context"
	"errors"
	"log/slog"
	"net/netip"
	"sync"
	"time"

	"github.com/loupe-dev/loupe/datapath/policy"
)

// ErrFull is returned by Learn when a name a toFQDNs selector matches does
// not fit in the cache: its addresses could not be allowed.
var ErrFull = errors.New("fqdn cache full")

// Cache maps names to the addresses DNS answered for them, with expiry.
// Its methods are safe for concurrent use.
type Cache struct {
	cfg Config
	log *slog.Logger

	mu        sync.Mutex
	names     map[string]*entry                  // canonical name → its addresses
	byIP      map[netip.Addr]map[string]struct{} // address → names holding it
	selectors []*policy.FQDNSelector
	// gen counts changes to the addresses some selector matches; policy
	// is current when OnChange returned after gen was reached.
	gen   uint64
	stats Stats

	// token serialises OnChange; applied (guarded by it) is the gen the
	// last successful OnChange covered, so that concurrent Learns share
	// one call.
	token   chan struct{}
	applied uint64

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// entry is one name's addresses and when each expires.
type entry struct {
	ips map[netip.Addr]time.Time
}

// New returns an empty cache; Start runs its GC. A nil log discards.
func New(cfg Config, log *slog.Logger) *Cache {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &Cache{
		cfg:    cfg.withDefaults(),
		log:    log,
		names:  map[string]*entry{},
		byIP:   map[netip.Addr]map[string]struct{}{},
		token:  make(chan struct{}, 1),
		ctx:    ctx,
		cancel: cancel,
	}
}

// Start runs the GC goroutine, which removes expired addresses and
// re-installs policy when some selector matched them.
func (c *Cache) Start() {
	c.wg.Go(c.gcLoop)
}

// Stop ends the GC goroutine (and an OnChange it is in) and waits for it.
func (c *Cache) Stop() {
	c.cancel()
	c.wg.Wait()
}

// SetSelectors registers the toFQDNs selectors of the installed policies:
// a new address for a name one of them matches makes Learn call OnChange.
// It is called while policy is installed, so it never calls OnChange.
func (c *Cache) SetSelectors(sels []*policy.FQDNSelector) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.selectors = append([]*policy.FQDNSelector(nil), sels...)
}

func (c *Cache) selectedLocked(name string) bool {
	for _, s := range c.selectors {
		if s.Matches(name) {
			return true
		}
	}
	return false
}
