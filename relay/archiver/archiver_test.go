package archiver

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/loupe-dev/loupe/api/flow"
	"github.com/loupe-dev/loupe/api/observer"
	"github.com/loupe-dev/loupe/relay/internal/relaytest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// fakeArchive stores flow ids per node and says it holds a node's flows up
// to the newest it got (or since, before it got any).
type fakeArchive struct {
	mu     sync.Mutex
	since  time.Time
	got    map[string][]uint64
	newest map[string]time.Time
	asked  int
}

func (a *fakeArchive) Since(_ context.Context, node string) (time.Time, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.asked++
	if t, ok := a.newest[node]; ok {
		return t.Add(time.Nanosecond), nil
	}
	return a.since, nil
}

func (a *fakeArchive) Offer(node string, f *flow.Flow) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.got[node] = append(a.got[node], f.GetId())
	a.newest[node] = f.GetTime().AsTime()
}

func (a *fakeArchive) ids(node string) ([]uint64, int) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return slices.Clone(a.got[node]), a.asked
}

func waitIDs(t *testing.T, a *fakeArchive, node string, want []uint64) int {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		got, asked := a.ids(node)
		if slices.Equal(got, want) {
			return asked
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: archive got %v, want %v", node, got, want)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestEveryFlowOnceAcrossReconnects(t *testing.T) {
	a := relaytest.StartNode(t, "a", 64)
	b := relaytest.StartNode(t, "b", 64)
	a.Write(1, 2, 3, 4)
	b.Write(1)
	m := relaytest.Manager(t, a, b)
	arch := &fakeArchive{since: relaytest.At(2), got: map[string][]uint64{}, newest: map[string]time.Time{}}
	ar := New(arch, m, relaytest.Quiet())
	ar.NewBackoff = relaytest.FastBackoff
	ar.Start()
	defer ar.Stop()

	waitIDs(t, arch, "a", []uint64{2, 3, 4}) // from where the archive said
	waitIDs(t, arch, "b", nil)               // b's flow is older than that
	a.Write(5)
	b.Write(6)
	waitIDs(t, arch, "a", []uint64{2, 3, 4, 5})
	asked := waitIDs(t, arch, "b", []uint64{6})

	// a goes down and comes back: the archive is asked again, and a's
	// stream resumes after what it holds.
	a.Stop()
	relaytest.WaitState(t, m, observer.NodeState_NODE_UNAVAILABLE, a)
	a.Serve(t)
	a.Write(7)
	if again := waitIDs(t, arch, "a", []uint64{2, 3, 4, 5, 7}); again <= asked {
		t.Fatalf("the archive was not asked again after the reconnect (%d, then %d)", asked, again)
	}
	if st := ar.Stats(); st.Offered != 6 {
		t.Fatalf("offered %d, want 6", st.Offered)
	}
}

func TestLostEventsAreCountedNotOffered(t *testing.T) {
	a := relaytest.StartNode(t, "a", 2)
	m := relaytest.Manager(t, a)
	arch := &fakeArchive{got: map[string][]uint64{}, newest: map[string]time.Time{}}
	ar := New(arch, m, relaytest.Quiet())
	ar.Start()
	defer ar.Stop()
	a.Write(1)
	waitIDs(t, arch, "a", []uint64{1}) // the stream is open and waits for more
	// The ring holds 2: the writer overtakes the stream, which learns of it.
	a.Write(2, 3, 4, 5, 6)
	deadline := time.Now().Add(5 * time.Second)
	for st := ar.Stats(); st.Offered+st.Lost != 6; st = ar.Stats() {
		if time.Now().After(deadline) {
			t.Fatalf("stats %+v: want offered + lost = 6", st)
		}
		time.Sleep(10 * time.Millisecond)
	}
	got, _ := arch.ids("a")
	if uint64(len(got)) != ar.Stats().Offered {
		t.Fatalf("archive holds %v, stats say %d offered", got, ar.Stats().Offered)
	}
}
