package e2e

import (
	"net"
	"slices"
	"testing"
	"time"

	agentpb "github.com/loupe-dev/loupe/api/agent"
	"github.com/loupe-dev/loupe/api/flow"
	"github.com/loupe-dev/loupe/datapath/loader"
)

// TestAgentRestart: kill -9 the agent and start it again on the same state.
// Endpoints keep their identities, programs are not attached twice, and
// flows keep coming for the same endpoints.
func TestAgentRestart(t *testing.T) {
	a := newAgent(t, "e2e-restart")
	a.start()
	l := labUp(t, a)
	before := a.endpoints()
	if len(before) < 6 {
		t.Fatalf("want the demo's endpoints registered, got %d", len(before))
	}
	identities := map[string]uint32{}
	for _, ep := range before {
		identities[ep.GetNamespace()+"/"+ep.GetWorkload()] = ep.GetIdentity()
	}

	a.kill()
	// The datapath outlives the agent: programs stay on every interface.
	checkAttachedOnce(t, before)

	a.start()
	after := a.endpoints()
	if len(after) != len(before) {
		t.Fatalf("%d endpoints after restart, %d before", len(after), len(before))
	}
	for _, ep := range after {
		if want := identities[ep.GetNamespace()+"/"+ep.GetWorkload()]; ep.GetIdentity() != want {
			t.Errorf("%s/%s: identity %d after restart, %d before", ep.GetNamespace(), ep.GetWorkload(), ep.GetIdentity(), want)
		}
	}
	checkAttachedOnce(t, after)

	restarted := time.Now()
	l.run("traffic", "--once")
	flows := flowsOf(observeJSON(t, a, "--since", "5m"))
	fresh := slices.DeleteFunc(flows, func(f *flow.Flow) bool { return f.GetTime().AsTime().Before(restarted) })
	if len(fresh) == 0 {
		t.Fatalf("no flows after the restart; agent log:\n%s", a.log)
	}
	for _, f := range fresh {
		for _, ep := range []*flow.Endpoint{f.GetSource(), f.GetDestination()} {
			if ep.GetWorkload() == "" {
				continue
			}
			if want := identities[ep.GetNamespace()+"/"+ep.GetWorkload()]; ep.GetIdentity() != want {
				t.Fatalf("flow after restart has %s/%s with identity %d, want %d", ep.GetNamespace(), ep.GetWorkload(), ep.GetIdentity(), want)
			}
		}
	}
}

// checkAttachedOnce asserts that exactly one loupe program sits on each hook
// of every endpoint's interface.
func checkAttachedOnce(t *testing.T, eps []*agentpb.Endpoint) {
	t.Helper()
	for _, ep := range eps {
		for _, h := range []loader.Hook{loader.Ingress, loader.Egress} {
			n, err := loader.Attached(int(ep.GetInterfaceIndex()), h)
			if err != nil {
				t.Fatal(err)
			}
			if n != 1 {
				t.Errorf("%s %s: %d programs attached, want 1", ep.GetInterfaceName(), h, n)
			}
		}
	}
}

// TestClsactFallback: where tcx is missing the agent attaches with clsact and
// a direct-action filter; flows are the same, and a restart replaces the
// filter instead of adding a second one.
func TestClsactFallback(t *testing.T) {
	a := newAgent(t, "e2e-tc", "--attach-mode", "tc")
	// The proxy's program on the loopback is a tc filter too, and tc
	// filters outlive their agent: take it away after the test.
	t.Cleanup(func() {
		lo, err := net.InterfaceByName("lo")
		if err != nil {
			t.Error(err)
			return
		}
		at, err := loader.NewAttacher(t.TempDir(), loader.ModeTC)
		if err == nil {
			err = at.Detach(lo.Index)
		}
		if err != nil {
			t.Errorf("remove the loopback's filter: %v", err)
		}
	})
	a.start()
	l := labUp(t, a)
	eps := a.endpoints()
	for _, ep := range eps {
		if ep.GetAttachMode() != "tc" {
			t.Fatalf("%s attached with %q, want tc", ep.GetWorkload(), ep.GetAttachMode())
		}
	}
	checkAttachedOnce(t, eps)
	a.kill()
	a.start()
	checkAttachedOnce(t, a.endpoints())
	l.run("traffic", "--once")
	flows := flowsOf(observeJSON(t, a, "--since", "5m", "--to-workload", "catalog", "--protocol", "tcp"))
	if len(flows) == 0 {
		t.Fatalf("no flows with clsact attachment; agent log:\n%s", a.log)
	}
}
