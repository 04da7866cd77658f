package kafkaproxy

// DefaultMaxFrame is the largest request or response frame the proxy
// accepts, as Kafka's socket.request.max.bytes (100 MiB) would be too much
// to buffer per connection on a node.
const DefaultMaxFrame = 16 << 20

// DefaultMaxInFlight bounds the requests of one connection that wait for
// their responses (kgo sends at most 5 per connection by default).
const DefaultMaxInFlight = 64

// Config tunes the handler; the zero value is usable.
type Config struct {
	// MaxFrame is the largest frame in bytes (default DefaultMaxFrame). A
	// bigger one is an error: the connection is closed.
	MaxFrame int
	// MaxInFlight bounds the pipelined requests per connection (default
	// DefaultMaxInFlight); the client is not read while it is reached.
	MaxInFlight int
}

func (c Config) withDefaults() Config {
	if c.MaxFrame <= 0 {
		c.MaxFrame = DefaultMaxFrame
	}
	if c.MaxInFlight <= 0 {
		c.MaxInFlight = DefaultMaxInFlight
	}
	return c
}
