package schema

import "fmt"

// Features are what a ClickHouse server supports that the schema uses.
type Features struct {
	Version string // "major.minor.patch", as the server reported it
	// DateTime64 stores nanosecond times natively (20.1+).
	DateTime64 bool
	// Codecs allows per-column compression codecs (19.11+: Delta, T64, ZSTD).
	Codecs bool
	// TTL expires old rows (19.6+).
	TTL bool
	// LowCardinality without the experimental setting (19.3+).
	LowCardinality bool
}

// Legacy is the oldest server loupe supports: Debian 12's 18.16.
var Legacy = FeaturesOf(18, 16, 1)

// FeaturesOf derives the features of a server version.
func FeaturesOf(major, minor, patch uint64) Features {
	at := func(ma, mi uint64) bool { return major > ma || (major == ma && minor >= mi) }
	return Features{
		Version:        fmt.Sprintf("%d.%d.%d", major, minor, patch),
		DateTime64:     at(20, 1),
		Codecs:         at(19, 11),
		TTL:            at(19, 6),
		LowCardinality: at(19, 3),
	}
}

// Modern reports whether every feature is there.
func (f Features) Modern() bool { return f.DateTime64 && f.Codecs && f.TTL && f.LowCardinality }
