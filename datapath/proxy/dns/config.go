package dnsproxy

import "time"

// Defaults of Config.
const (
	DefaultTimeout      = 2 * time.Second
	DefaultLearnTimeout = 2 * time.Second
	DefaultIdleTimeout  = 10 * time.Second
	DefaultMaxInFlight  = 1024
)

// Config tunes the handler; the zero value is usable.
type Config struct {
	// Timeout bounds one exchange with the server (default
	// DefaultTimeout); a query it ends is answered SERVFAIL, before the
	// client's own resolver gives up (5 s for glibc).
	Timeout time.Duration
	// LearnTimeout bounds the wait for the name cache (and the policy it
	// installs) before an answer is released (default
	// DefaultLearnTimeout); past it the client gets SERVFAIL.
	LearnTimeout time.Duration
	// IdleTimeout closes a TCP client connection that sends nothing for
	// that long (default DefaultIdleTimeout), and bounds reading one
	// message and writing one answer.
	IdleTimeout time.Duration
	// MaxInFlight bounds the UDP queries waiting for the server, hence
	// the upstream sockets open (default DefaultMaxInFlight); a query
	// over the bound is answered SERVFAIL and counted.
	MaxInFlight int
}

func (c Config) withDefaults() Config {
	if c.Timeout <= 0 {
		c.Timeout = DefaultTimeout
	}
	if c.LearnTimeout <= 0 {
		c.LearnTimeout = DefaultLearnTimeout
	}
	if c.IdleTimeout <= 0 {
		c.IdleTimeout = DefaultIdleTimeout
	}
	if c.MaxInFlight <= 0 {
		c.MaxInFlight = DefaultMaxInFlight
	}
	return c
}
