package maps

import (
	"errors"
	"fmt"

	"github.com/cilium/ebpf"
	"golang.org/x/sys/unix"

	"github.com/loupe-dev/loupe/datapath/loader"
)

// Conntrack is the datapath's connection table.
type Conntrack struct{ m *ebpf.Map }

// NewConntrack wraps the loaded conntrack map.
func NewConntrack(m *ebpf.Map) *Conntrack { return &Conntrack{m: m} }

// GC deletes expired connections and returns how many there were and how
// many are left. The datapath already ignores expired entries; collecting
// them keeps the LRU from evicting live ones first.
func (c *Conntrack) GC() (deleted, alive int, err error) {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_BOOTTIME, &ts); err != nil {
		return 0, 0, fmt.Errorf("read boot clock: %w", err)
	}
	now := uint64(ts.Nano())
	var k loader.LoupeCtKey
	var v loader.LoupeCtEntry
	var expired []loader.LoupeCtKey
	it := c.m.Iterate()
	for it.Next(&k, &v) {
		if v.ExpiresNs <= now {
			expired = append(expired, k)
		} else {
			alive++
		}
	}
	if err := it.Err(); err != nil {
		return 0, 0, fmt.Errorf("iterate conntrack: %w", err)
	}
	for i := range expired {
		if err := c.m.Delete(&expired[i]); err != nil && !errors.Is(err, ebpf.ErrKeyNotExist) {
			return deleted, alive, fmt.Errorf("delete conntrack entry: %w", err)
		}
		deleted++
	}
	return deleted, alive, nil
}
