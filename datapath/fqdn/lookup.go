package fqdn

import (
	"net/netip"
	"slices"
	"strings"

	"github.com/loupe-dev/loupe/datapath/policy"
)

// Prefixes are the host prefixes of the live addresses of every name sel
// matches, sorted: what a toFQDNs selector allows now. The policy resolver
// calls it (policy.WithFQDNs); it does not depend on SetSelectors.
func (c *Cache) Prefixes(sel *policy.FQDNSelector) []netip.Prefix {
	now := c.cfg.Now()
	c.mu.Lock()
	defer c.mu.Unlock()
	seen := map[netip.Addr]struct{}{}
	for name, e := range c.names {
		if !sel.Matches(name) {
			continue
		}
		for ip, exp := range e.ips {
			if exp.After(now) {
				seen[ip] = struct{}{}
			}
		}
	}
	if len(seen) == 0 {
		return nil
	}
	out := make([]netip.Prefix, 0, len(seen))
	for ip := range seen {
		out = append(out, netip.PrefixFrom(ip, ip.BitLen()))
	}
	slices.SortFunc(out, func(a, b netip.Prefix) int { return a.Addr().Compare(b.Addr()) })
	return out
}

// Names are the names ip was answered for and still live, sorted, without
// the trailing dot: the flow's source_names or destination_names.
func (c *Cache) Names(ip netip.Addr) []string {
	ip = ip.Unmap()
	now := c.cfg.Now()
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []string
	for name := range c.byIP[ip] {
		if e := c.names[name]; e != nil && e.ips[ip].After(now) {
			out = append(out, strings.TrimSuffix(name, "."))
		}
	}
	slices.Sort(out)
	return out
}
