package metrics

import (
	"time"
	"unsafe"

	"github.com/prometheus/client_golang/prometheus"
)

// key finds a series: up to three small numbers and two strings that the
// flow already holds, plus both contexts.
type key struct {
	n1, n2, n3 uint32
	s1, s2     string
	src, dst   ctxValue
}

// labeler renders the family's own label values of a key (contexts aside).
type labeler func(k key) []string

// series is one child of a vector with what expiry needs.
type series struct {
	counter  prometheus.Counter
	observer prometheus.Observer
	labels   []string
	src, dst ctxValue
	gone     time.Time // when its endpoint was first seen missing
}

// family is one metric vector with a series cap. Metrics.mu guards it.
type family struct {
	name     string
	spec     Spec
	cap      int
	labels   labeler
	counters *prometheus.CounterVec
	hists    *prometheus.HistogramVec
	folded   prometheus.Counter
	nlabels  int // label count, contexts included

	series map[key]*series
	other  *series
	// cache holds recently used series in front of the map: hashing a
	// key's strings costs more than comparing them, since the flow's
	// strings are shared and compare by pointer first.
	cache [cacheSize]struct {
		k key
		s *series
	}
}

const cacheSize = 256

// slot picks k's cache entry from its numbers and its strings' addresses.
func (k *key) slot() int {
	h := uintptr(k.n1)*0x9e3779b1 ^ uintptr(k.n2)*0x85ebca77 ^ uintptr(k.n3)*0xc2b2ae3d ^ uintptr(k.src.id)*0x27d4eb2f ^ uintptr(k.dst.id)*0x165667b1
	for _, s := range [...]string{k.s1, k.s2, k.src.a, k.src.b, k.dst.a, k.dst.b} {
		h = h*31 ^ uintptr(unsafe.Pointer(unsafe.StringData(s)))>>3 ^ uintptr(len(s))
	}
	return int(h^h>>8^h>>16^h>>24) & (cacheSize - 1)
}

// otherLabels is every label of the folded series set to "other".
func otherLabels(n int) []string {
	v := make([]string, n)
	for i := range v {
		v[i] = "other"
	}
	return v
}

// get returns the series of k, creating it while under the cap, else the
// folded one. Called with Metrics.mu held.
func (f *family) get(k *key) *series {
	i := k.slot()
	if c := &f.cache[i]; c.s != nil && c.k == *k {
		return c.s
	}
	if s, ok := f.series[*k]; ok {
		f.cache[i].k, f.cache[i].s = *k, s
		return s
	}
	if len(f.series) >= f.cap {
		f.folded.Inc()
		if f.other == nil {
			f.other = f.newSeries(otherLabels(f.nlabels))
		}
		return f.other
	}
	values := f.labels(*k)
	if f.spec.Source != ContextNone {
		values = append(values, k.src.render(f.spec.Source))
	}
	if f.spec.Destination != ContextNone {
		values = append(values, k.dst.render(f.spec.Destination))
	}
	s := f.newSeries(values)
	s.src, s.dst = k.src, k.dst
	f.series[*k] = s
	f.cache[i].k, f.cache[i].s = *k, s
	return s
}

func (f *family) newSeries(values []string) *series {
	s := &series{labels: values}
	if f.counters != nil {
		s.counter = f.counters.WithLabelValues(values...)
	} else {
		s.observer = f.hists.WithLabelValues(values...)
	}
	return s
}

// sweep deletes the series whose endpoint has been gone for longer than ttl.
func (f *family) sweep(now time.Time, live Live, ttl time.Duration) {
	if f.spec.Source == ContextNone && f.spec.Destination == ContextNone {
		return
	}
	deleted := false
	for k, s := range f.series {
		if live.has(f.spec.Source, s.src) && live.has(f.spec.Destination, s.dst) {
			s.gone = time.Time{}
			continue
		}
		if s.gone.IsZero() {
			s.gone = now
			continue
		}
		if now.Sub(s.gone) > ttl {
			if f.counters != nil {
				f.counters.DeleteLabelValues(s.labels...)
			} else {
				f.hists.DeleteLabelValues(s.labels...)
			}
			delete(f.series, k)
			deleted = true
		}
	}
	if deleted {
		f.cache = [cacheSize]struct {
			k key
			s *series
		}{}
	}
}
