package peers

import (
	"time"

	"github.com/loupe-dev/loupe/internal/mtls"
	"github.com/loupe-dev/loupe/relay/backoff"
)

// Peer is a node to connect to.
type Peer struct {
	Name string
	// Address is "host:port" or "unix:///path".
	Address string
	// TLSServerName is the name the node's certificate must carry; empty
	// means plaintext, which only a local address may carry.
	TLSServerName string
}

// Config sets up a Manager.
type Config struct {
	// Static are the nodes given on the command line.
	Static []Peer
	// Services are agents whose Peer API tells which nodes exist. Their
	// Name is only used to verify their certificate.
	Services []Peer
	// TLS is the relay's client certificate, its key and the CA of the
	// nodes' certificates; empty for plaintext.
	TLS mtls.Files
	// HealthInterval is how often a connected node's status is read.
	HealthInterval time.Duration
	// CallTimeout bounds one status call.
	CallTimeout time.Duration
	// MaxNodes bounds the nodes known, gone ones included; MaxGone bounds
	// the gone ones kept for GetNodes.
	MaxNodes, MaxGone int
	// NewBackoff makes the reconnection backoff of one node or service.
	NewBackoff func() *backoff.Backoff
}

// DefaultConfig is the relay's.
func DefaultConfig() Config {
	return Config{
		HealthInterval: time.Second, CallTimeout: 5 * time.Second,
		MaxNodes: 4096, MaxGone: 64, NewBackoff: backoff.New,
	}
}
