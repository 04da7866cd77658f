// Package ctgc collects expired connection-tracking entries on a timer.
package ctgc

import (
	"log/slog"
	"sync"
	"time"

	"github.com/loupe-dev/loupe/datapath/maps"
)

// Collector runs maps.Conntrack.GC every interval until stopped.
type Collector struct {
	ct       *maps.Conntrack
	interval time.Duration
	log      *slog.Logger
	stop     chan struct{}
	wg       sync.WaitGroup
}

// New returns a stopped collector.
func New(ct *maps.Conntrack, interval time.Duration, log *slog.Logger) *Collector {
	return &Collector{ct: ct, interval: interval, log: log, stop: make(chan struct{})}
}

// Start launches the collection goroutine.
func (c *Collector) Start() {
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		t := time.NewTicker(c.interval)
		defer t.Stop()
		for {
			select {
			case <-c.stop:
				return
			case <-t.C:
				deleted, alive, err := c.ct.GC()
				if err != nil {
					c.log.Warn("conntrack gc", "error", err)
					continue
				}
				c.log.Debug("conntrack gc", "deleted", deleted, "alive", alive)
			}
		}
	}()
}

// Stop ends the goroutine and waits for it.
func (c *Collector) Stop() {
	close(c.stop)
	c.wg.Wait()
}
