package e2e

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/cilium/ebpf"

	"github.com/loupe-dev/loupe/api/flow"
	"github.com/loupe-dev/loupe/api/observer"
)

// TestLostEventsAreCounted: with a one-page ring buffer and an event per
// packet, a ping flood overflows the kernel ring. ServerStatus and the
// stream's lost-event records must both equal the kernel's own counter.
func TestLostEventsAreCounted(t *testing.T) {
	a := newAgent(t, "e2e-lost", "--ring-buffer-size", "4096", "--monitor-aggregation", "none", "--flow-buffer-size", "1048576")
	a.start()
	l := labUp(t, a)
	ips := addrs(t, l)
	l.run("exec", "frontend", "--", "ping", "-f", "-q", "-c", "20000", "-s", "16", ips["catalog"][0])
	time.Sleep(time.Second) // two loss polls

	m, err := ebpf.LoadPinnedMap(filepath.Join(a.bpfRoot, "lost_events"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	var perCPU []uint64
	if err := m.Lookup(uint32(0), &perCPU); err != nil {
		t.Fatal(err)
	}
	var kernel uint64
	for _, n := range perCPU {
		kernel += n
	}
	if kernel == 0 {
		t.Fatal("the kernel lost nothing: the test did not overflow the ring buffer")
	}
	st := a.status()
	if st.GetNumLostEvents() != kernel {
		t.Errorf("ServerStatus lost %d, kernel counted %d", st.GetNumLostEvents(), kernel)
	}
	var inBand uint64
	for _, r := range drain(t, a, &observer.GetFlowsRequest{}) {
		if le := r.GetLostEvents(); le != nil {
			switch le.GetSource() {
			case flow.LostEventSource_KERNEL_RING_BUFFER:
				inBand += le.GetNumEventsLost()
			case flow.LostEventSource_FLOW_RING:
				t.Fatalf("the flow ring overflowed too (%d): the test's ring is too small", le.GetNumEventsLost())
			}
		}
	}
	if inBand != kernel {
		t.Errorf("lost events in the stream sum to %d, kernel counted %d", inBand, kernel)
	}
	t.Logf("kernel lost %d events; seen %d flows", kernel, st.GetSeenFlows())
}
