// Package maps gives typed access to the datapath's pinned BPF maps, in the
// layouts bpf/maps.h defines.
package maps

import (
	"errors"
	"fmt"
	"net/netip"

	"github.com/cilium/ebpf"

	"github.com/loupe-dev/loupe/datapath/loader"
)

// Endpoints is the endpoints map: host-side ifindex -> endpoint id, identity.
type Endpoints struct{ m *ebpf.Map }

// NewEndpoints wraps the loaded endpoints map.
func NewEndpoints(m *ebpf.Map) *Endpoints { return &Endpoints{m: m} }

// Endpoint flags, as ENDPOINT_F_* in bpf/maps.h.
const (
	endpointIPv4 = 0x1
	endpointIPv6 = 0x2
)

// Set records the endpoint behind an interface with its own addresses (one
// of each family at most), which are the only sources it may send from.
func (e *Endpoints) Set(ifindex uint32, endpointID uint16, identity uint32, addrs []netip.Addr) error {
	v := loader.LoupeEndpointInfo{Identity: identity, EndpointId: endpointID}
	for _, a := range addrs {
		if a.Is4() {
			v.Flags |= endpointIPv4
			v.Addr4 = a.As4()
		} else {
			v.Flags |= endpointIPv6
			v.Addr6 = a.As16()
		}
	}
	if err := e.m.Put(ifindex, v); err != nil {
		return fmt.Errorf("update endpoints map: %w", err)
	}
	return nil
}

// Delete forgets an interface; a missing entry is not an error.
func (e *Endpoints) Delete(ifindex uint32) error {
	if err := e.m.Delete(ifindex); err != nil && !errors.Is(err, ebpf.ErrKeyNotExist) {
		return fmt.Errorf("delete from endpoints map: %w", err)
	}
	return nil
}

// All returns every entry, keyed by ifindex.
func (e *Endpoints) All() (map[uint32]loader.LoupeEndpointInfo, error) {
	out := map[uint32]loader.LoupeEndpointInfo{}
	var k uint32
	var v loader.LoupeEndpointInfo
	it := e.m.Iterate()
	for it.Next(&k, &v) {
		out[k] = v
	}
	if err := it.Err(); err != nil {
		return nil, fmt.Errorf("iterate endpoints map: %w", err)
	}
	return out, nil
}

// IPCache is the LPM trie from address prefix to identity.
type IPCache struct{ m *ebpf.Map }

// NewIPCache wraps the loaded ipcache map.
func NewIPCache(m *ebpf.Map) *IPCache { return &IPCache{m: m} }

// Key returns the trie key of a prefix: IPv4 is stored IPv4-mapped, so its
// prefix length grows by 96 bits.
func Key(p netip.Prefix) loader.LoupeIpcacheKey {
	bits := p.Bits()
	if p.Addr().Is4() {
		bits += 96
	}
	return loader.LoupeIpcacheKey{Prefixlen: uint32(bits), Addr: netip.AddrFrom16(p.Addr().As16()).As16()}
}

// Upsert maps a prefix to an identity.
func (c *IPCache) Upsert(p netip.Prefix, identity uint32) error {
	if err := c.m.Put(Key(p.Masked()), loader.LoupeIpcacheValue{Identity: identity}); err != nil {
		return fmt.Errorf("update ipcache %s: %w", p, err)
	}
	return nil
}

// Delete removes a prefix; a missing entry is not an error.
func (c *IPCache) Delete(p netip.Prefix) error {
	k := Key(p.Masked())
	if err := c.m.Delete(&k); err != nil && !errors.Is(err, ebpf.ErrKeyNotExist) {
		return fmt.Errorf("delete ipcache %s: %w", p, err)
	}
	return nil
}

// LostEvents is the per-CPU counter of ring buffer reservation failures.
type LostEvents struct{ m *ebpf.Map }

// NewLostEvents wraps the loaded lost_events map.
func NewLostEvents(m *ebpf.Map) *LostEvents { return &LostEvents{m: m} }

// PerCPU returns the count of each possible CPU.
func (l *LostEvents) PerCPU() ([]uint64, error) {
	var vals []uint64
	if err := l.m.Lookup(uint32(0), &vals); err != nil {
		return nil, fmt.Errorf("read lost events: %w", err)
	}
	return vals, nil
}

// Lookup returns the identity the datapath resolves an address to: the
// longest prefix holding it, as the tc programs look it up; ok is false
// for a miss (world).
func (c *IPCache) Lookup(a netip.Addr) (identity uint32, ok bool) {
	k := Key(netip.PrefixFrom(a, a.BitLen()))
	var v loader.LoupeIpcacheValue
	if err := c.m.Lookup(&k, &v); err != nil {
		return 0, false
	}
	return v.Identity, true
}
