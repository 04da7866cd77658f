package sink

import (
	"testing"
	"time"
)

// TestWindowKeepsTheSlack: an id is remembered while its time is within a
// slack of the node's newest, and memory stays within about two slacks.
func TestWindowKeepsTheSlack(t *testing.T) {
	const slack = int64(2 * time.Second)
	const step = int64(time.Millisecond)
	n := newNodeState()
	start := int64(1_750_000_000) * 1e9
	for i := range int64(20_000) {
		n.remember(uint64(i), start+i*step, slack)
		newest := start + i*step
		// Every id within the slack is still known.
		for _, back := range []int64{0, 1, slack/step - 1, slack / step} {
			if j := i - back; j >= 0 && !n.seen(uint64(j)) {
				t.Fatalf("at %d: id %d (%d ms back) forgotten", i, j, back)
			}
		}
		if kept := len(n.cur) + len(n.prev); kept > int(2*slack/step)+2 {
			t.Fatalf("at %d: %d ids kept, want at most two slacks' worth", i, kept)
		}
		if got := n.resume(slack); got != newest-slack {
			t.Fatalf("resume %d, want %d", got, newest-slack)
		}
	}
	if n.seen(0) {
		t.Fatal("id 0, 20 s old, still remembered")
	}
}
