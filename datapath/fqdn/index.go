package fqdn

import (
	"net/netip"
	"time"
)

func (e *entry) liveAt(now time.Time) bool {
	for _, exp := range e.ips {
		if exp.After(now) {
			return true
		}
	}
	return false
}

func (c *Cache) indexLocked(ip netip.Addr, name string) {
	set := c.byIP[ip]
	if set == nil {
		set = map[string]struct{}{}
		c.byIP[ip] = set
	}
	set[name] = struct{}{}
}

// removeIPLocked forgets one address of a name; a change of policy when
// a selector matches the name.
func (c *Cache) removeIPLocked(name string, e *entry, ip netip.Addr) {
	delete(e.ips, ip)
	if set := c.byIP[ip]; set != nil {
		delete(set, name)
		if len(set) == 0 {
			delete(c.byIP, ip)
		}
	}
	if c.selectedLocked(name) {
		c.gen++
	}
}

func (c *Cache) removeNameLocked(name string, e *entry) {
	for ip := range e.ips {
		c.removeIPLocked(name, e, ip)
	}
	delete(c.names, name)
}
