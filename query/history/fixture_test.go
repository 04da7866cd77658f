package history_test

import (
	"cmp"
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	gocmp "github.com/google/go-cmp/cmp"
	"google.golang.org/grpc"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/prototext"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/testing/protocmp"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/loupe-dev/loupe/api/flow"
	"github.com/loupe-dev/loupe/api/observer"
	"github.com/loupe-dev/loupe/collector"
	liveobserver "github.com/loupe-dev/loupe/collector/observer"
	"github.com/loupe-dev/loupe/collector/ring"
	"github.com/loupe-dev/loupe/internal/flowgen"
	"github.com/loupe-dev/loupe/internal/testutil"
	"github.com/loupe-dev/loupe/query/history"
	"github.com/loupe-dev/loupe/query/rows"
	"github.com/loupe-dev/loupe/query/schema"
	"github.com/loupe-dev/loupe/query/sqlfilter"
	"github.com/loupe-dev/loupe/query/store"
)

// fixture holds the same flows in a live ring, served by the collector's
// Observer server, and in a real ClickHouse, read by History.
type fixture struct {
	flows []*flow.Flow // in time order, ties by node name and id
	// stored are the flows as ClickHouse gives them back: with empty
	// endpoints where they had none.
	stored map[*flow.Flow]*flow.Flow
	live   *liveobserver.Server
	hist   *history.History
	store  *store.Store
	seen   answers
}

// answers counts what the compared requests got, to show that the
// generated ones test something: most are valid, and most select some of
// the flows but not all.
type answers struct{ refused, none, some, all int }

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func newFixture(t *testing.T) *fixture {
	t.Helper()
	srv := testutil.ClickHouse(t)
	ctx := context.Background()
	s, err := store.Open(ctx, store.Config{DSN: srv.DSN("history")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })

	g := flowgen.New(7, 40, []string{"node-a", "node-b", "node-c"}, t0, time.Millisecond)
	var flows []*flow.Flow
	for range 3000 {
		flows = append(flows, g.Next())
	}
	flows = append(flows, edgeFlows(t0)...)
	slices.SortFunc(flows, compareFlows)

	// The ring gets them in time order, as the collector writes them.
	r := ring.New(len(flows))
	for _, f := range flows {
		r.Write(ring.Entry{TimeNs: f.GetTime().AsTime().UnixNano(), Flow: f})
	}
	// ClickHouse gets them shuffled, in several parts.
	shuffled := slices.Clone(flows)
	rand.New(rand.NewPCG(1, 2)).Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
	for chunk := range slices.Chunk(shuffled, 1100) {
		insert(t, s, chunk)
	}
	// One part reads several times faster on 18.16, and the test makes
	// hundreds of queries.
	if err := s.Conn().Exec(ctx, "OPTIMIZE TABLE "+schema.FlowsTable+" FINAL"); err != nil {
		t.Fatal(err)
	}
	stored := make(map[*flow.Flow]*flow.Flow, len(flows))
	for _, f := range flows {
		stored[f] = normalize(f)
	}
	return &fixture{
		flows:  flows,
		stored: stored,
		live:   liveobserver.NewServer(source{r}, "node", "test", "none"),
		hist:   history.New(s, nil),
		store:  s,
	}
}

func insert(t *testing.T, s *store.Store, flows []*flow.Flow) {
	t.Helper()
	ctx := context.Background()
	b := rows.NewBlock(s.Features())
	for _, f := range flows {
		b.Add(f)
	}
	if err := b.Insert(ctx, s.Conn()); err != nil {
		t.Fatal(err)
	}
}

func compareFlows(a, b *flow.Flow) int {
	return cmp.Or(
		a.GetTime().AsTime().Compare(b.GetTime().AsTime()),
		strings.Compare(a.GetNodeName(), b.GetNodeName()),
		cmp.Compare(a.GetId(), b.GetId()))
}

type source struct{ r *ring.Ring }

func (s source) Ring() *ring.Ring       { return s.r }
func (s source) Stats() collector.Stats { return collector.Stats{} }

// collect is a GetFlows stream that keeps the flows sent.
type collect struct {
	grpc.ServerStream
	flows []*flow.Flow
}

func (c *collect) Context() context.Context { return context.Background() }
func (c *collect) Send(r *observer.GetFlowsResponse) error {
	if f := r.GetFlow(); f != nil {
		c.flows = append(c.flows, f)
	}
	return nil
}

// fromLive is the live answer: the collector's GetFlows over the ring. An
// exclusive until, the relay's boundary, is the inclusive until 1 ns
// earlier.
func (fx *fixture) fromLive(req *observer.GetFlowsRequest, until time.Time) ([]*flow.Flow, error) {
	if !until.IsZero() {
		req = proto.Clone(req).(*observer.GetFlowsRequest)
		u := until.Add(-time.Nanosecond)
		if req.Since != nil && u.Before(req.Since.AsTime()) {
			return nil, nil // an empty window, not a bad request: the relay chose until
		}
		if req.Until == nil || req.Until.AsTime().After(u) {
			req.Until = timestamppb.New(u)
		}
	}
	c := &collect{}
	if err := fx.live.GetFlows(req, c); err != nil {
		return nil, err
	}
	return c.flows, nil
}

func (fx *fixture) fromHistory(req *observer.GetFlowsRequest, until time.Time) ([]*flow.Flow, error) {
	var got []*flow.Flow
	err := fx.hist.Flows(context.Background(), req, until, func(f *flow.Flow) error {
		got = append(got, f)
		return nil
	})
	return got, err
}

// same checks that history answers req as the live ring does: the same
// refusal, or the same flows in the same order, field for field.
func (fx *fixture) same(t *testing.T, req *observer.GetFlowsRequest, until time.Time) {
	t.Helper()
	want, werr := fx.fromLive(req, until)
	got, gerr := fx.fromHistory(req, until)
	switch {
	case werr != nil:
		fx.seen.refused++
	case len(want) == 0:
		fx.seen.none++
	case len(want) == len(fx.flows):
		fx.seen.all++
	default:
		fx.seen.some++
	}
	if werr != nil || gerr != nil {
		if werr == nil || gerr == nil || !strings.HasSuffix(gerr.Error(), status.Convert(werr).Message()) {
			t.Errorf("%s\nlive error: %v\nhistory error: %v", describe(req, until), werr, gerr)
		}
		return
	}
	if diff := gocmp.Diff(keys(want), keys(got)); diff != "" {
		t.Errorf("%s\nlive %d flows, history %d; flows (-live +history):\n%s", describe(req, until), len(want), len(got), diff)
		return
	}
	for i := range want {
		if w := fx.stored[want[i]]; !proto.Equal(w, got[i]) {
			t.Errorf("%s\nflow %s differs (-live +history):\n%s", describe(req, until), key(w), gocmp.Diff(w, got[i], protocmp.Transform()))
			return
		}
	}
}

// describe prints a request and its SQL for a failure message.
func describe(req *observer.GetFlowsRequest, until time.Time) string {
	var b strings.Builder
	fmt.Fprintf(&b, "request: %s", prototext.MarshalOptions{}.Format(req))
	if !until.IsZero() {
		fmt.Fprintf(&b, "\nuntil (exclusive): %s", until.Format(time.RFC3339Nano))
	}
	if w, err := sqlfilter.Translate(req.GetAllow(), req.GetDeny()); err == nil {
		fmt.Fprintf(&b, "\nwhere: %s\nargs: %q\nresidual in Go: %v", w.SQL, w.Args, w.Residual != nil)
	}
	return b.String()
}

func key(f *flow.Flow) string {
	return fmt.Sprintf("%s/%d@%s", f.GetNodeName(), f.GetId(), f.GetTime().AsTime().Format("15:04:05.000000000"))
}

func keys(fs []*flow.Flow) []string {
	out := make([]string, len(fs))
	for i, f := range fs {
		out[i] = key(f)
	}
	return out
}

// normalize gives a flow the empty endpoints a stored flow always has.
func normalize(f *flow.Flow) *flow.Flow {
	f = proto.Clone(f).(*flow.Flow)
	if f.Source == nil {
		f.Source = &flow.Endpoint{}
	}
	if f.Destination == nil {
		f.Destination = &flow.Endpoint{}
	}
	return f
}
