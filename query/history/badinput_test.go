package history_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/loupe-dev/loupe/api/flow"
	"github.com/loupe-dev/loupe/api/observer"
	"github.com/loupe-dev/loupe/collector/filters"
	"github.com/loupe-dev/loupe/query/history"
)

// badInput: malformed times and filters are refused with a clear error,
// filters exactly as the live server refuses them.
func (fx *fixture) badInput(t *testing.T) {
	for _, c := range []struct {
		name string
		req  *observer.GetFlowsRequest
		want string
	}{
		{"nanos out of range", &observer.GetFlowsRequest{Since: &timestamppb.Timestamp{Seconds: 1, Nanos: 2e9}},
			"invalid request: since: proto: timestamp (seconds:1 nanos:2000000000) has out-of-range nanos"},
		{"negative nanos", &observer.GetFlowsRequest{Until: &timestamppb.Timestamp{Seconds: 1, Nanos: -1}},
			"invalid request: until: proto: timestamp (seconds:1 nanos:-1) has out-of-range nanos"},
		{"after year 9999", &observer.GetFlowsRequest{Until: &timestamppb.Timestamp{Seconds: 253402300800}},
			"invalid request: until: proto: timestamp (seconds:253402300800) after 9999-12-31"},
		{"until before since", &observer.GetFlowsRequest{Since: timestamppb.New(t0), Until: timestamppb.New(t0.Add(-1))},
			"invalid request: until is before since"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := fx.fromHistory(c.req, time.Time{})
			// protobuf's messages vary their spacing on purpose.
			if err == nil || strings.Join(strings.Fields(err.Error()), " ") != c.want || !errors.Is(err, history.ErrInvalid) {
				t.Errorf("got %v, want %s", err, c.want)
			}
		})
	}
	// Refused filters: the same text as the live server's, and both
	// sentinels.
	for _, ff := range []*flow.FlowFilter{
		{SourceLabel: []string{"app=x' OR 1=1 --"}},
		{DestinationLabel: []string{"x' OR 1=1 --"}},
		{HttpPath: []string{"(/api"}},
		{HttpPath: []string{"a)|(b"}},
		{DnsQuery: []string{"[a-"}},
		{SourceIp: []string{"10.0.0.1' OR 1=1 --"}},
		{DestinationWorkload: []string{"a/b/c"}},
	} {
		req := &observer.GetFlowsRequest{Allow: []*flow.FlowFilter{ff}}
		fx.same(t, req, time.Time{})
		_, err := fx.fromHistory(req, time.Time{})
		if !errors.Is(err, history.ErrInvalid) || !errors.Is(err, filters.ErrInvalid) {
			t.Errorf("%v: %v does not match both ErrInvalid", ff, err)
		}
	}
	// A node name that is not UTF-8 makes filters.Compile panic; history
	// refuses it.
	_, err := fx.fromHistory(&observer.GetFlowsRequest{Allow: []*flow.FlowFilter{{NodeName: []string{"\xff"}}}}, time.Time{})
	if !errors.Is(err, filters.ErrInvalid) {
		t.Errorf("node name not UTF-8: %v", err)
	}
}

// literal: values that would be injection if spliced into SQL match the
// flows that hold them, and only those.
func (fx *fixture) literal(t *testing.T) {
	src := func(f *flow.Flow) *flow.Endpoint { return f.GetSource() }
	dst := func(f *flow.Flow) *flow.Endpoint { return f.GetDestination() }
	for _, c := range []struct {
		ff   *flow.FlowFilter
		side func(*flow.Flow) *flow.Endpoint
		ns   string
		name string
	}{
		{&flow.FlowFilter{SourceNamespace: []string{"o'brien"}}, src, "o'brien", ""},
		{&flow.FlowFilter{SourceWorkload: []string{"x' OR 1=1 --"}}, src, "", "x' OR 1=1 --"},
		{&flow.FlowFilter{SourceWorkload: []string{`x\' OR 1=1 --`}}, src, "", `x\' OR 1=1 --`},
		{&flow.FlowFilter{DestinationNamespace: []string{`a\b`}}, dst, `a\b`, ""},
		{&flow.FlowFilter{DestinationWorkload: []string{`\`}}, dst, "", `\`},
		{&flow.FlowFilter{SourceNamespace: []string{"o\x00brien"}}, src, "o\x00brien", ""},
		{&flow.FlowFilter{SourceWorkload: []string{"o\x00brien/nul\x00"}}, src, "o\x00brien", "nul\x00"},
		{&flow.FlowFilter{DestinationNamespace: []string{"'"}}, dst, "'", ""},
		{&flow.FlowFilter{DestinationWorkload: []string{"''"}}, dst, "", "''"},
		{&flow.FlowFilter{DestinationNamespace: []string{"x' OR 1=1 --"}}, dst, "x' OR 1=1 --", ""},
	} {
		var want []*flow.Flow
		for _, f := range fx.flows {
			ep := c.side(f)
			if (c.ns == "" || ep.GetNamespace() == c.ns) && (c.name == "" || ep.GetWorkload() == c.name) {
				want = append(want, f)
			}
		}
		got, err := fx.fromHistory(&observer.GetFlowsRequest{Allow: []*flow.FlowFilter{c.ff}}, time.Time{})
		if err != nil {
			t.Errorf("%v: %v", c.ff, err)
			continue
		}
		if len(want) == 0 || strings.Join(keys(got), " ") != strings.Join(keys(want), " ") {
			t.Errorf("%v: history matched %v, the flows holding the value are %v", c.ff, keys(got), keys(want))
		}
	}
}

var errStop = errors.New("stop")

// cancel: a send error ends the answer at once, as does a canceled
// context, and the store keeps answering afterwards.
func (fx *fixture) cancel(t *testing.T) {
	n := 0
	err := fx.hist.Flows(context.Background(), &observer.GetFlowsRequest{}, time.Time{}, func(*flow.Flow) error {
		if n++; n == 3 {
			return errStop
		}
		return nil
	})
	if !errors.Is(err, errStop) || n != 3 {
		t.Errorf("send error: got %v after %d flows, want %v after 3", err, n, errStop)
	}

	ctx, cancel := context.WithCancel(context.Background())
	n = 0
	err = fx.hist.Flows(ctx, &observer.GetFlowsRequest{}, time.Time{}, func(*flow.Flow) error {
		if n++; n == 5 {
			cancel()
		}
		return nil
	})
	if !errors.Is(err, context.Canceled) || n > 5+1 {
		t.Errorf("canceled: got %v after %d flows, want context.Canceled after 5", err, n)
	}

	got, err := fx.fromHistory(&observer.GetFlowsRequest{Number: 2}, time.Time{})
	if err != nil || len(got) != 2 {
		t.Errorf("after a canceled query: %d flows, %v", len(got), err)
	}
}
