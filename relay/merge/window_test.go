package merge

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"go.uber.org/goleak"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/loupe-dev/loupe/api/flow"
	"github.com/loupe-dev/loupe/api/observer"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

var t0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// at is a flow of node at t0 + sec seconds.
func at(node string, sec int) *observer.GetFlowsResponse {
	ts := timestamppb.New(t0.Add(time.Duration(sec) * time.Second))
	return &observer.GetFlowsResponse{
		NodeName:      node,
		Time:          ts,
		ResponseTypes: &observer.GetFlowsResponse_Flow{Flow: &flow.Flow{Time: ts, NodeName: node}},
	}
}

func lostAt(node string, sec int, n uint64) *observer.GetFlowsResponse {
	return &observer.GetFlowsResponse{
		NodeName: node,
		Time:     timestamppb.New(t0.Add(time.Duration(sec) * time.Second)),
		ResponseTypes: &observer.GetFlowsResponse_LostEvents{LostEvents: &flow.LostEvent{
			Source: flow.LostEventSource_FLOW_RING, NumEventsLost: n,
		}},
	}
}

// show renders records as "a3" (flow of node a at second 3), "lost:N@3"
// (lost events and their time) or "status".
func show(rs []*observer.GetFlowsResponse) string {
	var parts []string
	for _, r := range rs {
		sec := int(r.GetTime().AsTime().Sub(t0) / time.Second)
		switch {
		case r.GetFlow() != nil:
			parts = append(parts, fmt.Sprintf("%s%d", r.GetNodeName(), sec))
		case r.GetLostEvents() != nil:
			parts = append(parts, fmt.Sprintf("lost:%d@%d", r.GetLostEvents().GetNumEventsLost(), sec))
		default:
			parts = append(parts, "status")
		}
	}
	return strings.Join(parts, " ")
}

// step is one event in a window's life: a push (src, record), an out-of-band
// record, a stream closing, or a Pop at a time after the start.
type step struct {
	push   string // source of a pushed record
	rec    *observer.GetFlowsResponse
	oob    bool
	close  string
	pop    time.Duration // Pop at start + pop; -1: no pop
	want   string        // what that Pop returns
	full   bool          // after this step, the window is full
	isFull bool
}

func TestWindow(t *testing.T) {
	ms := time.Millisecond
	push := func(src string, r *observer.GetFlowsResponse) step { return step{push: src, rec: r, pop: -1} }
	pop := func(d time.Duration, want string) step { return step{pop: d, want: want} }
	closeSrc := func(src string) step { return step{close: src, pop: -1} }
	cases := []struct {
		name    string
		cfg     Config
		sources []string
		steps   []step
		late    uint64
	}{
		{
			name: "interleaves streams once both moved past", sources: []string{"a", "b"},
			steps: []step{
				push("a", at("a", 1)), push("a", at("a", 3)), push("a", at("a", 5)),
				pop(0, ""), // b has sent nothing: wait for it
				push("b", at("b", 2)), push("b", at("b", 4)),
				pop(0, "a1 b2 a3 b4"), // both moved past 4; a5 waits for b
				push("b", at("b", 6)),
				pop(0, "a5"),
				closeSrc("a"), closeSrc("b"),
				pop(0, "b6"),
			},
		},
		{
			name: "a quiet stream delays records at most MaxDelay", sources: []string{"a", "b"},
			steps: []step{
				push("a", at("a", 1)), push("a", at("a", 2)),
				pop(99*ms, ""),
				pop(100*ms, "a1 a2"),
			},
		},
		{
			name: "late flow is dropped, counted and reported in order", sources: []string{"a", "b"},
			steps: []step{
				push("a", at("a", 5)),
				pop(100*ms, "a5"),
				push("b", at("b", 3)), // older than a5, which went out
				push("b", at("b", 7)), push("a", at("a", 8)),
				pop(100*ms, "lost:1@5 b7 a8"),
			},
			late: 1,
		},
		{
			name: "late lost events are kept, stamped in order", sources: []string{"a", "b"},
			steps: []step{
				push("a", at("a", 5)),
				pop(100*ms, "a5"),
				push("b", lostAt("b", 2, 9)),
				closeSrc("a"), closeSrc("b"),
				pop(100*ms, "lost:9@5"),
			},
		},
		{
			name: "full window takes no more", cfg: Config{MaxFlows: 2, MaxDelay: time.Second}, sources: []string{"a", "b"},
			steps: []step{
				push("a", at("a", 1)),
				{push: "a", rec: at("a", 2), pop: -1, isFull: true, full: true},
				pop(time.Second, "a1 a2"),
				{pop: -1, isFull: true, full: false},
			},
		},
		{
			name: "slack absorbs disorder within a stream", cfg: Config{MaxFlows: 10, MaxDelay: time.Second, Slack: 2 * time.Second}, sources: []string{"a", "b"},
			steps: []step{
				push("a", at("a", 10)), push("b", at("b", 10)),
				pop(0, ""), // nothing is 2s behind both
				push("a", at("a", 9)), push("a", at("a", 13)), push("b", at("b", 12)),
				pop(0, "a9 a10 b10"),
			},
		},
		{
			name: "status goes out first", sources: []string{"a"},
			steps: []step{
				push("a", at("a", 1)),
				{oob: true, rec: &observer.GetFlowsResponse{ResponseTypes: &observer.GetFlowsResponse_NodeStatus{NodeStatus: &observer.NodeStatusEvent{}}}, pop: -1},
				closeSrc("a"),
				pop(0, "status a1"),
			},
		},
		{
			name: "equal times keep arrival order", sources: []string{"a", "b"},
			steps: []step{
				push("b", at("b", 1)), push("a", at("a", 1)),
				closeSrc("a"), closeSrc("b"),
				pop(0, "b1 a1"),
			},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := tc.cfg
			if cfg.MaxFlows == 0 {
				cfg = Config{MaxFlows: 100, MaxDelay: 100 * time.Millisecond}
			}
			w := NewWindow(cfg)
			for _, s := range tc.sources {
				w.Open(s)
			}
			start := time.Now()
			for i, s := range tc.steps {
				switch {
				case s.oob:
					w.OutOfBand(s.rec)
				case s.push != "":
					w.Push(s.push, s.rec, start)
				case s.close != "":
					w.Close(s.close)
				}
				if s.isFull && w.Full() != s.full {
					t.Fatalf("step %d: Full() = %v, want %v", i, w.Full(), s.full)
				}
				if s.pop >= 0 {
					if diff := cmp.Diff(show(w.Pop(start.Add(s.pop))), s.want); diff != "" {
						t.Fatalf("step %d: Pop (-got +want):\n%s", i, diff)
					}
				}
			}
			if w.Late() != tc.late {
				t.Fatalf("Late() = %d, want %d", w.Late(), tc.late)
			}
		})
	}
}

func TestFullWindowStillTakesOneRecordOfEachStream(t *testing.T) {
	w := NewWindow(Config{MaxFlows: 2, MaxDelay: time.Hour})
	w.Open("a")
	w.Open("b")
	now := time.Now()
	w.Push("a", at("a", 2), now)
	w.Push("a", at("a", 3), now)
	if w.Accepts("a") || !w.Accepts("b") {
		t.Fatalf("full of a's records: Accepts(a) = %v, Accepts(b) = %v; want false, true", w.Accepts("a"), w.Accepts("b"))
	}
	w.Push("b", at("b", 1), now)
	// Every stream has a record held: the oldest goes, without waiting for
	// MaxDelay, and the merge goes on.
	if got := show(w.Pop(now)); got != "b1" {
		t.Fatalf("Pop = %q, want b1", got)
	}
	w.Push("b", at("b", 4), now)
	if got := show(w.Pop(now)); got != "a2 a3" {
		t.Fatalf("Pop = %q, want a2 a3", got)
	}
}

func TestBacklogStreamsAreWaitedFor(t *testing.T) {
	w := NewWindow(Config{MaxFlows: 10, MaxDelay: 100 * time.Millisecond, FirstWait: time.Second})
	now := time.Now()
	w.Open("quiet")
	w.OpenBacklog("slow", now)
	w.Open("fast")
	w.Push("fast", at("fast", 5), now)
	w.Push("quiet", at("quiet", 6), now)
	if got := show(w.Pop(now.Add(500 * time.Millisecond))); got != "" {
		t.Fatalf("Pop before slow's first record or FirstWait = %q, want nothing", got)
	}
	if d, _ := w.Deadline(); !d.Equal(now.Add(time.Second)) {
		t.Fatalf("deadline %v, want FirstWait after the open", d.Sub(now))
	}
	w.Push("slow", at("slow", 1), now.Add(600*time.Millisecond))
	if got := show(w.Pop(now.Add(700 * time.Millisecond))); got != "slow1 fast5 quiet6" {
		t.Fatalf("Pop = %q, want slow1 fast5 quiet6", got)
	}
}

func TestNoMaxDelayWaitsForEveryStream(t *testing.T) {
	w := NewWindow(Config{MaxFlows: 10})
	now := time.Now()
	w.Open("a")
	w.Open("b")
	w.Push("a", at("a", 1), now)
	if got := show(w.Pop(now.Add(time.Hour))); got != "" {
		t.Fatalf("Pop = %q, want nothing while b may still send", got)
	}
	if _, ok := w.Deadline(); ok {
		t.Fatal("a window without MaxDelay has a deadline")
	}
	w.Close("b")
	if got := show(w.Pop(now)); got != "a1" {
		t.Fatalf("Pop = %q, want a1 once b ended", got)
	}
}

func TestWindowDeadlineIsTheOldestArrival(t *testing.T) {
	w := NewWindow(Config{MaxFlows: 10, MaxDelay: time.Second})
	w.Open("a")
	if _, ok := w.Deadline(); ok {
		t.Fatal("empty window has a deadline")
	}
	now := time.Now()
	w.Push("a", at("a", 2), now)
	w.Push("a", at("a", 1), now.Add(time.Millisecond))
	if d, _ := w.Deadline(); !d.Equal(now.Add(time.Second)) {
		t.Fatalf("deadline %v, want %v", d, now.Add(time.Second))
	}
}

func TestNewest(t *testing.T) {
	cases := []struct {
		name string
		n    int
		in   []*observer.GetFlowsResponse
		want string
	}{
		{"newest of all nodes, in order", 3,
			[]*observer.GetFlowsResponse{at("a", 1), at("a", 4), at("a", 6), at("b", 2), at("b", 5), at("b", 7)},
			"b5 a6 b7"},
		{"fewer than n", 5, []*observer.GetFlowsResponse{at("b", 2), at("a", 1)}, "a1 b2"},
		{"lost events within the answer are kept", 2,
			[]*observer.GetFlowsResponse{at("a", 1), lostAt("a", 2, 4), at("a", 3), lostAt("b", 4, 1), at("b", 5)},
			"a3 lost:1@4 b5"},
		{"all lost events when nothing was cut", 5,
			[]*observer.GetFlowsResponse{lostAt("a", 2, 4), at("a", 3)},
			"lost:4@2 a3"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			k := NewNewest(tc.n)
			for _, r := range tc.in {
				k.Add(r)
			}
			if diff := cmp.Diff(show(k.Sorted()), tc.want); diff != "" {
				t.Fatalf("(-got +want):\n%s", diff)
			}
		})
	}
}
