package metrics

import (
	"sync"
	"time"

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

// family is one metric vector with a series cap. Its lock is taken once
// per observation; the reader holds it alone except during a sweep.
type family struct {
	name     string
	spec     Spec
	cap      int
	labels   labeler
	counters *prometheus.CounterVec
	hists    *prometheus.HistogramVec
	folded   prometheus.Counter
	nlabels  int // label count, contexts included

	mu     sync.Mutex
	series map[key]*series
	other  *series
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
// folded one. Called with f.mu held.
func (f *family) get(k key) *series {
	if s, ok := f.series[k]; ok {
		return s
	}
	if len(f.series) >= f.cap {
		f.folded.Inc()
		if f.other == nil {
			f.other = f.newSeries(otherLabels(f.nlabels))
		}
		return f.other
	}
	values := f.labels(k)
	if f.spec.Source != ContextNone {
		values = append(values, k.src.render(f.spec.Source))
	}
	if f.spec.Destination != ContextNone {
		values = append(values, k.dst.render(f.spec.Destination))
	}
	s := f.newSeries(values)
	s.src, s.dst = k.src, k.dst
	f.series[k] = s
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

// inc adds one to the series of k.
func (f *family) inc(k key) {
	f.mu.Lock()
	f.get(k).counter.Inc()
	f.mu.Unlock()
}

// sweep deletes the series whose endpoint has been gone for longer than ttl.
func (f *family) sweep(now time.Time, live Live, ttl time.Duration) {
	if f.spec.Source == ContextNone && f.spec.Destination == ContextNone {
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
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
		}
	}
}
