package rows_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/testing/protocmp"

	"github.com/google/go-cmp/cmp"

	"github.com/loupe-dev/loupe/api/flow"
	"github.com/loupe-dev/loupe/internal/flowgen"
	"github.com/loupe-dev/loupe/internal/testutil"
	"github.com/loupe-dev/loupe/query/rows"
	"github.com/loupe-dev/loupe/query/store"
)

// TestRoundTrip writes generated flows (every field, every L4 and L7 kind)
// through a block into a real ClickHouse and reads them back unchanged.
func TestRoundTrip(t *testing.T) {
	srv := testutil.ClickHouse(t)
	ctx := context.Background()
	s, err := store.Open(ctx, store.Config{DSN: srv.DSN("rows")})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()

	g := flowgen.New(1, 20, []string{"node-a", "node-b"}, time.Unix(1_750_000_000, 123), time.Millisecond)
	var in []*flow.Flow
	b := rows.NewBlock(s.Features())
	for range 2000 {
		f := g.Next()
		in = append(in, f)
		b.Add(f)
	}
	in = append(in, &flow.Flow{Time: in[len(in)-1].Time, Id: 1, NodeName: "bare"}) // every field empty
	b.Add(in[len(in)-1])
	if err := b.Insert(ctx, s.Conn()); err != nil {
		t.Fatal(err)
	}

	r, err := s.Conn().Query(ctx, "SELECT "+rows.ReadColumns+" FROM flows ORDER BY time_ns, node_name, id")
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	sc := rows.NewScanner()
	got := map[string]*flow.Flow{}
	for r.Next() {
		f, err := sc.Scan(r)
		if err != nil {
			t.Fatal(err)
		}
		got[key(f)] = f
	}
	if err := r.Err(); err != nil {
		t.Fatal(err)
	}
	if len(got) != len(in) {
		t.Fatalf("read %d flows, wrote %d", len(got), len(in))
	}
	for _, want := range in {
		f := got[key(want)]
		if !proto.Equal(normalize(want), f) {
			t.Fatalf("flow changed on the way through ClickHouse:\n%s", cmp.Diff(normalize(want), f, protocmp.Transform()))
		}
	}
}

func key(f *flow.Flow) string {
	return fmt.Sprintf("%s/%d/%d", f.NodeName, f.Id, f.Time.AsTime().UnixNano())
}

// normalize gives the empty endpoints a stored flow always has.
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
