package lab

import (
	"context"
	"fmt"
	"io"
	"maps"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/vishvananda/netns"
)

// TrafficOptions control `lab traffic`.
type TrafficOptions struct {
	// Duration stops the traffic after this long; 0 runs until ctx is done.
	Duration time.Duration
	// Once runs every flow once (per family) and stops.
	Once bool
	// Rate, when above 0, replaces every flow's own rate (actions/second).
	Rate float64
	// Out receives a summary line every Interval and a final one.
	Out io.Writer
	// Interval between summary lines; default one second.
	Interval time.Duration
}

// actionTimeout bounds one action; a denied connection shows as a timeout.
const actionTimeout = 2 * time.Second

// Traffic drives the traffic flows of labs (every recorded lab when labs is
// empty) until the duration ends, ctx is done, or, with Once, every flow ran
// once. Every action runs in its source workload's network namespace, so the
// agent sees it leave that workload. It returns what happened.
func (m *Manager) Traffic(ctx context.Context, labs []*State, opts TrafficOptions) (*Summary, error) {
	if len(labs) == 0 {
		var err error
		if labs, err = m.Labs(); err != nil {
			return nil, err
		}
		if len(labs) == 0 {
			return nil, fmt.Errorf("%w: no lab is up; start one with `loupe lab up --topology FILE`", ErrNotFound)
		}
	}
	if opts.Interval <= 0 {
		opts.Interval = time.Second
	}
	if opts.Duration > 0 && !opts.Once {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, opts.Duration)
		defer cancel()
	}

	handles := make(map[string]netns.NsHandle)
	defer func() {
		for _, h := range handles {
			h.Close()
		}
	}()
	var actors []*actor
	for _, st := range labs {
		for i := range st.Traffic {
			f := st.Traffic[i]
			src, dst := st.Workload(f.From), st.Workload(f.To)
			if src == nil || dst == nil {
				return nil, fmt.Errorf("%w: traffic of lab %s names %s -> %s", ErrNotFound, st.Name, f.From, f.To)
			}
			h, ok := handles[src.NetNS]
			if !ok {
				var err error
				if h, err = netns.GetFromPath(NetNSPath(src.NetNS)); err != nil {
					return nil, fmt.Errorf("open netns of %s (is lab %s up?): %w", src.ID(), st.Name, err)
				}
				handles[src.NetNS] = h
			}
			if opts.Rate > 0 {
				f.Rate = opts.Rate
			}
			a := &actor{topo: &st.Topology, flow: f, src: src, dst: dst, ns: h, dns: st.DNSServer()}
			// A random start, so that short runs (--once) also ask the
			// names and types that come every few actions.
			a.seq.Store(rand.Uint32N(1 << 16))
			actors = append(actors, a)
		}
	}
	if len(actors) == 0 {
		return nil, fmt.Errorf("%w: the lab has no traffic section; add one to the topology", ErrNotFound)
	}

	sum := newSummary()
	start := time.Now()
	var wg sync.WaitGroup
	for _, a := range actors {
		wg.Go(func() { a.run(ctx, opts.Once, sum) })
	}
	// The printer is owned here: it stops when the actors are done.
	printerDone := make(chan struct{})
	stopPrinter := make(chan struct{})
	go func() {
		defer close(printerDone)
		if opts.Out == nil || opts.Once {
			return
		}
		t := time.NewTicker(opts.Interval)
		defer t.Stop()
		for {
			select {
			case <-stopPrinter:
				return
			case now := <-t.C:
				fmt.Fprintf(opts.Out, "[%5.0fs] %s\n", now.Sub(start).Seconds(), sum.snapshot())
			}
		}
	}()
	wg.Wait()
	close(stopPrinter)
	<-printerDone
	final := sum.snapshot()
	final.Elapsed = time.Since(start)
	if opts.Out != nil {
		fmt.Fprintf(opts.Out, "total after %s: %s\n", final.Elapsed.Round(10*time.Millisecond), final)
	}
	return final, nil
}

// run performs the flow at its rate until ctx is done, or once.
func (a *actor) run(ctx context.Context, once bool, sum *summary) {
	fams := []Family{a.flow.Family}
	if a.flow.Family == Both {
		fams = []Family{IPv4, IPv6}
	}
	interval := time.Duration(float64(time.Second) / a.flow.Rate)
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		for _, fam := range fams {
			if ctx.Err() != nil {
				return
			}
			actx, cancel := context.WithTimeout(ctx, actionTimeout)
			o := a.act(actx, fam)
			cancel()
			if !o.ok && interrupted(ctx) {
				return // cut short by the end of the run, not a failure of the flow
			}
			sum.add(a.flow.Protocol, o)
		}
		if once {
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// interrupted tells whether ctx is over. Its deadline counts even before
// its timer fires: socket deadlines set from it may expire first.
func interrupted(ctx context.Context) bool {
	if ctx.Err() != nil {
		return true
	}
	d, ok := ctx.Deadline()
	return ok && !time.Now().Before(d)
}

// outcome is the result of one action: ok or not, and a note worth
// counting (nxdomain, 5xx, refused, timeout).
type outcome struct {
	ok   bool
	note string
}

// KindCounts counts the actions of one protocol.
type KindCounts struct {
	OK     int            `json:"ok"`
	Failed int            `json:"failed"`
	Notes  map[string]int `json:"notes,omitempty"`
}

// Summary counts what `lab traffic` did, per protocol.
type Summary struct {
	Elapsed time.Duration            `json:"elapsed"`
	Kinds   map[Protocol]*KindCounts `json:"kinds"`
}

// Failed is the number of actions that failed, all protocols together.
func (s *Summary) Failed() int {
	n := 0
	for _, k := range s.Kinds {
		n += k.Failed
	}
	return n
}

// String is one line: "http ok=4 fail=0 (5xx=1) | dns ok=8 ... | failed 0".
func (s *Summary) String() string {
	var parts []string
	for _, p := range []Protocol{HTTP, DNS, TCP, UDP, ICMP} {
		k := s.Kinds[p]
		if k == nil {
			continue
		}
		part := fmt.Sprintf("%s ok=%d fail=%d", p, k.OK, k.Failed)
		if len(k.Notes) > 0 {
			var notes []string
			for _, n := range slices.Sorted(maps.Keys(k.Notes)) {
				notes = append(notes, fmt.Sprintf("%s=%d", n, k.Notes[n]))
			}
			part += " (" + strings.Join(notes, " ") + ")"
		}
		parts = append(parts, part)
	}
	if len(parts) == 0 {
		return "no actions yet"
	}
	return strings.Join(parts, " | ") + fmt.Sprintf(" | failed %d", s.Failed())
}

type summary struct {
	mu sync.Mutex
	s  Summary
}

func newSummary() *summary { return &summary{s: Summary{Kinds: map[Protocol]*KindCounts{}}} }

func (s *summary) add(p Protocol, o outcome) {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := s.s.Kinds[p]
	if k == nil {
		k = &KindCounts{Notes: map[string]int{}}
		s.s.Kinds[p] = k
	}
	if o.ok {
		k.OK++
	} else {
		k.Failed++
	}
	if o.note != "" {
		k.Notes[o.note]++
	}
}

func (s *summary) snapshot() *Summary {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := &Summary{Elapsed: s.s.Elapsed, Kinds: map[Protocol]*KindCounts{}}
	for p, k := range s.s.Kinds {
		out.Kinds[p] = &KindCounts{OK: k.OK, Failed: k.Failed, Notes: maps.Clone(k.Notes)}
	}
	return out
}
