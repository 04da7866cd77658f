package loader

import (
	"fmt"
	"time"
)

// Aggregation is the monitor aggregation level: how many trace events one
// connection produces.
type Aggregation uint8

// Values match AGGREGATION_* in bpf/configs.h.
const (
	AggregationNone   Aggregation = 0 // every packet
	AggregationMedium Aggregation = 1 // new connection, SYN/FIN/RST changes, periodic reports
	AggregationMax    Aggregation = 2 // new connection and first close
)

func (a Aggregation) String() string {
	switch a {
	case AggregationNone:
		return "none"
	case AggregationMedium:
		return "medium"
	case AggregationMax:
		return "max"
	}
	return fmt.Sprintf("aggregation(%d)", uint8(a))
}

// ParseAggregation parses "none", "medium" or "max".
func ParseAggregation(s string) (Aggregation, error) {
	for _, a := range []Aggregation{AggregationNone, AggregationMedium, AggregationMax} {
		if a.String() == s {
			return a, nil
		}
	}
	return 0, fmt.Errorf("monitor aggregation %q: want none, medium or max", s)
}

// Config is what the datapath is loaded with.
type Config struct {
	// PinDir is the agent's directory on bpffs; maps are pinned in it by name
	// and links under PinDir/links.
	PinDir string
	// RingBufferSize is the size of the event ring buffer in bytes: a power
	// of two and a multiple of the page size.
	RingBufferSize uint32
	Aggregation    Aggregation
	// ReportInterval is how often long flows report counts (medium).
	ReportInterval time.Duration
	// BatchWakeups makes the datapath wake the collector only once an
	// eighth of the ring buffer is waiting; the collector then drains on a
	// timer too. Off, the kernel wakes it for every record.
	BatchWakeups bool
}

// DefaultConfig returns the agent's defaults.
func DefaultConfig() Config {
	return Config{
		PinDir:         "/sys/fs/bpf/loupe",
		RingBufferSize: 4 << 20,
		Aggregation:    AggregationMedium,
		ReportInterval: 5 * time.Second,
		BatchWakeups:   true,
	}
}

func (c Config) validate() error {
	n := c.RingBufferSize
	if n < 4096 || n&(n-1) != 0 {
		return fmt.Errorf("ring buffer size %d: want a power of two of at least 4096 bytes", n)
	}
	if c.ReportInterval <= 0 {
		return fmt.Errorf("report interval %s: want a positive duration", c.ReportInterval)
	}
	return nil
}
