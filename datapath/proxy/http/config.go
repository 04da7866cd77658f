package httpproxy

import "time"

// Defaults of Config.
const (
	DefaultHeaderTimeout        = 10 * time.Second
	DefaultIdleTimeout          = 120 * time.Second
	DefaultMaxHeaderBytes       = 64 << 10
	DefaultMaxConcurrentStreams = 250
)

// Config tunes the handler; the zero value is usable.
type Config struct {
	// HeaderTimeout bounds the time to read a request's headers, from the
	// connection's start or the request's first byte (default
	// DefaultHeaderTimeout). A client slower than that gets 408.
	HeaderTimeout time.Duration
	// IdleTimeout closes a connection with no request in flight for this
	// long (default DefaultIdleTimeout).
	IdleTimeout time.Duration
	// MaxHeaderBytes bounds a request's head, request line included
	// (default DefaultMaxHeaderBytes); more gets 431.
	MaxHeaderBytes int
	// MaxConcurrentStreams bounds the HTTP/2 streams of one connection
	// (default DefaultMaxConcurrentStreams).
	MaxConcurrentStreams uint32

	// KeepHeaders names headers whose values flows keep although they are
	// redacted by default (Authorization, Proxy-Authorization, Cookie,
	// Set-Cookie); case-insensitive.
	KeepHeaders []string
	// KeepQuery keeps URL query values in flows; by default each value is
	// replaced by "[REDACTED]" (names stay).
	KeepQuery bool
	// OmitHeaders records no headers in flows at all.
	OmitHeaders bool
}

func (c Config) withDefaults() Config {
	if c.HeaderTimeout <= 0 {
		c.HeaderTimeout = DefaultHeaderTimeout
	}
	if c.IdleTimeout <= 0 {
		c.IdleTimeout = DefaultIdleTimeout
	}
	if c.MaxHeaderBytes <= 0 {
		c.MaxHeaderBytes = DefaultMaxHeaderBytes
	}
	if c.MaxConcurrentStreams == 0 {
		c.MaxConcurrentStreams = DefaultMaxConcurrentStreams
	}
	return c
}
