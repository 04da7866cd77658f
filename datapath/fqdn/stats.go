package fqdn

// Stats are the cache's counters, for metrics.
type Stats struct {
	Names, IPs int // held now
	// NameOverflow counts names not recorded because MaxNames was reached,
	// IPOverflow addresses evicted because MaxIPsPerName was, Evicted names
	// no selector matched that made room for one a selector matched.
	NameOverflow, IPOverflow, Evicted uint64
	// Expired counts addresses removed after their TTL.
	Expired uint64
	// Changes counts OnChange calls, ChangeErrors those that failed.
	Changes, ChangeErrors uint64
}

// Stats returns the counters.
func (c *Cache) Stats() Stats {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := c.stats
	s.Names = len(c.names)
	for _, e := range c.names {
		s.IPs += len(e.ips)
	}
	return s
}
