package fqdn

import (
	"context"
	"fmt"
	"net/netip"
	"time"

	"github.com/loupe-dev/loupe/datapath/policy"
)

// Learn records that name (and every name of its CNAME chain) resolved to
// ips for ttl (at least MinTTL). When an address is new for a name that a
// registered selector matches, Learn calls OnChange and returns only after
// it did, with its error: the caller releases the answer to the workload
// only then, so the policy allowing the address is installed first.
func (c *Cache) Learn(ctx context.Context, name string, ips []netip.Addr, ttl time.Duration, cnames []string) error {
	if len(ips) == 0 {
		return nil
	}
	now := c.cfg.Now()
	exp := now.Add(max(ttl, c.cfg.MinTTL))
	c.mu.Lock()
	changed := false
	var firstErr error
	for _, n := range append([]string{name}, cnames...) {
		ch, err := c.addLocked(policy.CanonicalName(n), ips, exp, now)
		changed = changed || ch
		if err != nil && firstErr == nil {
			firstErr = fmt.Errorf("learn %s: %w", n, err)
		}
	}
	if changed {
		c.gen++
	}
	gen := c.gen
	c.mu.Unlock()
	if changed {
		if err := c.install(ctx, gen); err != nil {
			return err
		}
	}
	return firstErr
}

// addLocked adds ips to a name; changed reports a new address for a
// selected name.
func (c *Cache) addLocked(name string, ips []netip.Addr, exp, now time.Time) (changed bool, err error) {
	selected := c.selectedLocked(name)
	e := c.names[name]
	if e == nil {
		if len(c.names) >= c.cfg.MaxNames && !c.makeRoomLocked(selected, now) {
			c.stats.NameOverflow++
			if selected {
				return false, ErrFull
			}
			return false, nil
		}
		e = &entry{ips: map[netip.Addr]time.Time{}}
		c.names[name] = e
	}
	for _, ip := range ips {
		ip = ip.Unmap()
		old, ok := e.ips[ip]
		if ok && old.After(now) {
			// Known and live: the policy has it already.
			if exp.After(old) {
				e.ips[ip] = exp
			}
			continue
		}
		if !ok && len(e.ips) >= c.cfg.MaxIPsPerName {
			c.evictIPLocked(name, e)
			c.stats.IPOverflow++
		}
		e.ips[ip] = exp
		c.indexLocked(ip, name)
		changed = changed || selected
	}
	return changed, nil
}

// makeRoomLocked frees one name: an expired one, or, for a selected
// newcomer, one no selector matches.
func (c *Cache) makeRoomLocked(selected bool, now time.Time) bool {
	for n, e := range c.names {
		if !e.liveAt(now) {
			c.removeNameLocked(n, e)
			return true
		}
	}
	if !selected {
		return false
	}
	for n, e := range c.names {
		if !c.selectedLocked(n) {
			c.removeNameLocked(n, e)
			c.stats.Evicted++
			return true
		}
	}
	return false
}

// evictIPLocked drops the address of e that expires first.
func (c *Cache) evictIPLocked(name string, e *entry) {
	var first netip.Addr
	var at time.Time
	for ip, exp := range e.ips {
		if !first.IsValid() || exp.Before(at) {
			first, at = ip, exp
		}
	}
	c.removeIPLocked(name, e, first)
}
