package fqdn

import (
	"context"
	"fmt"
	"time"
)

// gcLoop removes expired addresses every GCInterval and, when a selector
// matched some, re-installs policy so they stop being allowed. It also
// retries an OnChange that failed in Learn.
func (c *Cache) gcLoop() {
	t := time.NewTicker(c.cfg.GCInterval)
	defer t.Stop()
	for {
		select {
		case <-c.ctx.Done():
			return
		case <-t.C:
		}
		gen := c.collect()
		if err := c.install(c.ctx, gen); err != nil && c.ctx.Err() == nil {
			c.log.Warn("fqdn policy after expiry", "error", err)
		}
	}
}

// collect removes what expired by now and returns the generation reached.
func (c *Cache) collect() uint64 {
	now := c.cfg.Now()
	c.mu.Lock()
	defer c.mu.Unlock()
	for name, e := range c.names {
		for ip, exp := range e.ips {
			if !exp.After(now) {
				c.removeIPLocked(name, e, ip)
				c.stats.Expired++
			}
		}
		if len(e.ips) == 0 {
			delete(c.names, name)
		}
	}
	return c.gen
}

// install makes sure OnChange ran after generation gen was reached. One
// call runs at a time; callers that wait for it and whose change it
// covered return without another.
func (c *Cache) install(ctx context.Context, gen uint64) error {
	if c.cfg.OnChange == nil {
		return nil
	}
	select {
	case c.token <- struct{}{}:
	case <-ctx.Done():
		return fmt.Errorf("wait for fqdn policy: %w", ctx.Err())
	}
	defer func() { <-c.token }()
	if c.applied >= gen {
		return nil
	}
	c.mu.Lock()
	target := c.gen
	c.stats.Changes++
	c.mu.Unlock()
	if err := c.cfg.OnChange(ctx); err != nil {
		c.mu.Lock()
		c.stats.ChangeErrors++
		c.mu.Unlock()
		return fmt.Errorf("install fqdn policy: %w", err)
	}
	c.applied = target
	return nil
}
