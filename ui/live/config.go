package live

import (
	"time"

	"github.com/loupe-dev/loupe/api/flow"
)

// FilterParser turns the filter text a person typed into the Observer
// API's allow and deny lists. The CLI provides it (cmd/loupe), so that the
// UI speaks exactly the language of loupe observe.
type FilterParser func(text string) (allow, deny []*flow.FlowFilter, err error)

// Config bounds what one client may cost.
type Config struct {
	// Rate is the most flows per second sent to one client; Burst how many
	// may go at once after a quiet spell.
	Rate  float64
	Burst int
	// QueueSize is how many records wait for a slow browser.
	QueueSize int
	// BatchInterval is how often queued records are sent, as one message.
	BatchInterval time.Duration
	// MaxClients is how many browsers may stream at once.
	MaxClients int
	// MaxMessageBytes is the largest message a browser may send.
	MaxMessageBytes int64
	// MaxBackfill is the most past flows a subscription may ask for.
	MaxBackfill uint64
	// WriteTimeout ends a client that does not read.
	WriteTimeout time.Duration
}

// DefaultConfig suits one person's browser on a busy cluster.
func DefaultConfig() Config {
	return Config{
		Rate:            2000,
		Burst:           2000,
		QueueSize:       8192,
		BatchInterval:   100 * time.Millisecond,
		MaxClients:      64,
		MaxMessageBytes: 4096,
		MaxBackfill:     10000,
		WriteTimeout:    10 * time.Second,
	}
}
