package fqdn

import (
	"context"
	"time"
)

// Defaults of Config's bounds.
const (
	DefaultMaxNames      = 10000
	DefaultMaxIPsPerName = 50
	DefaultGCInterval    = time.Second
)

// Config tunes the cache; the zero value is usable.
type Config struct {
	// MinTTL is the shortest time an answered address is kept (default 0:
	// the answer's own TTL; see the package documentation).
	MinTTL time.Duration
	// MaxNames bounds the names kept (default DefaultMaxNames). A new name
	// that does not fit is not recorded and counted; when a toFQDNs
	// selector matches it, a name no selector matches is evicted for it,
	// and when there is none Learn fails with ErrFull.
	MaxNames int
	// MaxIPsPerName bounds the addresses of one name (default
	// DefaultMaxIPsPerName); a new address replaces the one that expires
	// first, counted.
	MaxIPsPerName int
	// GCInterval is how often expired entries are removed (default
	// DefaultGCInterval).
	GCInterval time.Duration
	// Now is the clock (default time.Now); tests use a fake one.
	Now func() time.Time
	// OnChange re-resolves and installs policy when the addresses some
	// selector matches changed. Learn calls it synchronously (and returns
	// its error), the GC goroutine after expiry. It must not call Learn.
	OnChange func(context.Context) error
}

func (c Config) withDefaults() Config {
	if c.MaxNames <= 0 {
		c.MaxNames = DefaultMaxNames
	}
	if c.MaxIPsPerName <= 0 {
		c.MaxIPsPerName = DefaultMaxIPsPerName
	}
	if c.GCInterval <= 0 {
		c.GCInterval = DefaultGCInterval
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.MinTTL < 0 {
		c.MinTTL = 0
	}
	return c
}
