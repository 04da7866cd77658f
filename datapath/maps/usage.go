package maps

import (
	"sync"
	"time"

	"github.com/cilium/ebpf"
	"github.com/prometheus/client_golang/prometheus"
)

// Usage reports how full the datapath's maps are as
// loupe_bpf_map_entries{map} and loupe_bpf_map_capacity{map}. Counting walks
// a map's keys, so it runs on scrape at most once per MinInterval and never
// past a map's max_entries; in between a scrape sees the last count.
type Usage struct {
	maps        map[string]*ebpf.Map
	minInterval time.Duration

	mu      sync.Mutex
	counted time.Time
	entries map[string]float64
}

var (
	entriesDesc  = prometheus.NewDesc("loupe_bpf_map_entries", "Entries in a BPF map, counted at most every 30 s.", []string{"map"}, nil)
	capacityDesc = prometheus.NewDesc("loupe_bpf_map_capacity", "Maximum entries of a BPF map.", []string{"map"}, nil)
)

// NewUsage watches the hash, LRU and LPM maps among ms (by name); arrays are
// always full and ring buffers have no entries, so they are left out.
func NewUsage(ms map[string]*ebpf.Map, minInterval time.Duration) *Usage {
	u := &Usage{maps: map[string]*ebpf.Map{}, minInterval: minInterval, entries: map[string]float64{}}
	for name, m := range ms {
		switch m.Type() {
		case ebpf.Hash, ebpf.LRUHash, ebpf.LPMTrie, ebpf.PerCPUHash, ebpf.LRUCPUHash:
			u.maps[name] = m
		}
	}
	return u
}

// Describe implements prometheus.Collector.
func (u *Usage) Describe(ch chan<- *prometheus.Desc) {
	ch <- entriesDesc
	ch <- capacityDesc
}

// Collect implements prometheus.Collector.
func (u *Usage) Collect(ch chan<- prometheus.Metric) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if time.Since(u.counted) >= u.minInterval {
		for name, m := range u.maps {
			u.entries[name] = float64(countEntries(m))
		}
		u.counted = time.Now()
	}
	for name, m := range u.maps {
		ch <- prometheus.MustNewConstMetric(entriesDesc, prometheus.GaugeValue, u.entries[name], name)
		ch <- prometheus.MustNewConstMetric(capacityDesc, prometheus.GaugeValue, float64(m.MaxEntries()), name)
	}
}

// countEntries walks the keys of m, at most max_entries of them. The walk
// ends at the last key or at the first error (a key deleted under it): the
// count is then a lower bound until the next walk.
func countEntries(m *ebpf.Map) int {
	limit := int(m.MaxEntries())
	key, next := make([]byte, m.KeySize()), make([]byte, m.KeySize())
	var cur any // nil: the first key
	n := 0
	for n < limit {
		if err := m.NextKey(cur, next); err != nil {
			return n
		}
		n++
		copy(key, next)
		cur = key
	}
	return n
}
