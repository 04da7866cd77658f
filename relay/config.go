package relay

import (
	"go.opentelemetry.io/otel/trace"

	"github.com/loupe-dev/loupe/relay/merge"
	"github.com/loupe-dev/loupe/relay/peers"
)

// Config sets up a relay.
type Config struct {
	// Listen is where the Observer API is served: "host:port" or
	// "unix:///path".
	Listen string
	Peers  peers.Config
	Window merge.Config
	// History, when set, answers requests that reach before the live
	// buffers.
	History History
	// Archive, when set, receives every flow of every node.
	Archive Archive
	Version string
	// TracerProvider, when set, traces client queries and history reads.
	TracerProvider trace.TracerProvider
}

// DefaultConfig is the relay's defaults: the contract's address, the
// default sort window and peer settings.
func DefaultConfig() Config {
	return Config{Listen: "127.0.0.1:4245", Peers: peers.DefaultConfig(), Window: merge.DefaultConfig()}
}
