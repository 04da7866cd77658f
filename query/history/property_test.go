package history_test

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/loupe-dev/loupe/api/flow"
	"github.com/loupe-dev/loupe/api/observer"
)

// TestHistory holds the same flows in a live ring and in ClickHouse and
// checks that History answers every request as the collector's GetFlows
// does: generated filters over every field, windows, last and first N.
func TestHistory(t *testing.T) {
	fx := newFixture(t)
	t.Run("every field alone", fx.everyField)
	t.Run("combined filters", fx.combined)
	t.Run("windows and limits", fx.windows)
	t.Run("bad input", fx.badInput)
	t.Run("hostile values match literally", fx.literal)
	t.Run("cancel and send errors", fx.cancel)

	a := fx.seen
	total := a.refused + a.none + a.some + a.all
	t.Logf("%d requests compared: %d refused, %d matched nothing, %d some flows, %d all", total, a.refused, a.none, a.some, a.all)
	if a.some < total/2 || a.none == 0 || a.refused == 0 {
		t.Errorf("the generated requests test too little: %+v", a)
	}
}

const seed = 20260301

func (fx *fixture) gen(stream uint64) *gen {
	return &gen{r: rand.New(rand.NewPCG(seed, stream)), v: valuesOf(fx.flows)}
}

func fieldNames() []string {
	var names []string
	for n := range fieldGens {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// everyField: each field, with values drawn from the flows and values that
// match nothing, as the only allow filter and as the only deny filter.
func (fx *fixture) everyField(t *testing.T) {
	g := fx.gen(1)
	for _, name := range fieldNames() {
		for i := range 9 {
			ff := &flow.FlowFilter{}
			fieldGens[name](g, ff)
			req := &observer.GetFlowsRequest{Allow: []*flow.FlowFilter{ff}}
			if i%3 == 2 {
				req = &observer.GetFlowsRequest{Deny: []*flow.FlowFilter{ff}}
			}
			fx.same(t, req, time.Time{})
		}
	}
}

// combined: allow and deny lists of filters of several fields.
func (fx *fixture) combined(t *testing.T) {
	g := fx.gen(2)
	names := fieldNames()
	for range 200 {
		fx.same(t, &observer.GetFlowsRequest{Allow: g.filters(names, 2), Deny: g.filters(names, 2)}, time.Time{})
	}
}

// windows: since and until on and around flow times, the relay's
// exclusive until, and last or first N, with and without filters.
func (fx *fixture) windows(t *testing.T) {
	g := fx.gen(3)
	names := fieldNames()
	at := func() time.Time {
		ts := fx.flows[g.r.IntN(len(fx.flows))].GetTime().AsTime()
		return ts.Add(time.Duration(g.r.IntN(3)-1) * time.Nanosecond)
	}
	for i := range 80 {
		req := &observer.GetFlowsRequest{}
		a, b := at(), at()
		if b.Before(a) {
			a, b = b, a
		}
		if g.r.IntN(3) > 0 {
			req.Since = timestamppb.New(a)
		}
		if g.r.IntN(3) == 0 {
			req.Until = timestamppb.New(b)
		}
		var until time.Time
		if g.r.IntN(2) == 0 {
			until = at()
		}
		switch g.r.IntN(3) {
		case 0:
			req.Number = uint64(1 + g.r.IntN(50))
		case 1:
			req.Number, req.First = uint64(1+g.r.IntN(50)), true
		}
		if i%2 == 0 {
			req.Allow, req.Deny = g.filters(names, 1), g.filters(names, 1)
		}
		fx.same(t, req, until)
	}
	// The whole table, the oldest and newest flows, a window with nothing.
	first, last := fx.flows[0].GetTime().AsTime(), fx.flows[len(fx.flows)-1].GetTime().AsTime()
	for _, c := range []struct {
		req   *observer.GetFlowsRequest
		until time.Time
	}{
		{&observer.GetFlowsRequest{}, time.Time{}},
		{&observer.GetFlowsRequest{Number: 1}, time.Time{}},
		{&observer.GetFlowsRequest{Number: 1, First: true}, time.Time{}},
		{&observer.GetFlowsRequest{Number: 100000}, time.Time{}},
		{&observer.GetFlowsRequest{Since: timestamppb.New(last)}, time.Time{}},
		{&observer.GetFlowsRequest{Until: timestamppb.New(first)}, time.Time{}},
		{&observer.GetFlowsRequest{}, first},
		{&observer.GetFlowsRequest{}, first.Add(time.Nanosecond)},
		{&observer.GetFlowsRequest{Since: timestamppb.New(last.Add(time.Nanosecond))}, time.Time{}},
		{&observer.GetFlowsRequest{Since: timestamppb.New(first), Until: timestamppb.New(first)}, time.Time{}},
		{&observer.GetFlowsRequest{Since: timestamppb.New(first)}, first.Add(time.Nanosecond)},
		{&observer.GetFlowsRequest{Number: 10, Allow: []*flow.FlowFilter{{HttpPath: []string{huge}}}}, time.Time{}},
		{&observer.GetFlowsRequest{Number: 10, First: true, Deny: []*flow.FlowFilter{{DnsQuery: []string{huge}}}}, time.Time{}},
	} {
		fx.same(t, c.req, c.until)
	}
}
