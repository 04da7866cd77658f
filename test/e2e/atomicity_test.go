package e2e

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/loupe-dev/loupe/api/flow"
)

// TestPolicyReapplyIsAtomic: while the same policy, in two equivalent
// wordings, is applied 100 times in a row, a long allowed connection
// exchanges a line every 20 ms and never misses one, new allowed
// connections are never refused, and denied connection attempts never get
// through. Each apply enforces a new revision.
func TestPolicyReapplyIsAtomic(t *testing.T) {
	a := newAgent(t, "e2e-atomic", "--flow-buffer-size", "262144", "--ring-buffer-size", "16777216")
	a.start()
	l := labUpFile(t, a, "testdata/matrix.yaml",
		"10.77.0.0/25", "10.77.0.128/25", "fd00:77::/113", "fd00:77::8000/113")
	byName := map[string]*peer{}
	for _, p := range matrixPeers(t, l) {
		byName[p.name] = p
	}
	files := []string{"testdata/policies/atomicity-a.yaml", "testdata/policies/atomicity-b.yaml"}
	t.Cleanup(func() { deleteAllPolicies(t, a) })
	rev0, _ := strconv.Atoi(applyPolicy(t, a, files[0]))

	db := byName["db"]
	dbAddr := net.JoinHostPort(db.v4, "5000")
	dial := func(src *peer, timeout time.Duration) (net.Conn, error) {
		var c net.Conn
		err := inNetns(src.netns, func() error {
			var err error
			// Source ports cycle through 40,000 ids; one still in
			// TIME_WAIT from a wrapped cycle is skipped, not a refusal.
			for range 8 {
				d := net.Dialer{Timeout: timeout, LocalAddr: &net.TCPAddr{IP: net.ParseIP(src.v4), Port: int(nextProbeID())}}
				if c, err = d.Dial("tcp4", dbAddr); !errors.Is(err, syscall.EADDRINUSE) {
					break
				}
			}
			return err
		})
		return c, err
	}

	long, err := dial(byName["api"], 2*time.Second)
	if err != nil {
		t.Fatalf("api -> db (allowed) failed before the re-applies: %v", err)
	}
	defer long.Close()
	longR := bufio.NewReader(long)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var wg sync.WaitGroup
	var (
		mu         sync.Mutex
		violations []string
	)
	violate := func(format string, args ...any) {
		mu.Lock()
		defer mu.Unlock()
		if len(violations) < 50 {
			violations = append(violations, time.Now().Format("15:04:05.000 ")+fmt.Sprintf(format, args...))
		}
	}
	var exchanges, newAllowed, deniedTries atomic.Int64
	var maxRTT atomic.Int64

	// The long connection: one echoed line every 20 ms.
	wg.Go(func() {
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		for i := 0; ; i++ {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
			start := time.Now()
			if err := echo(long, longR, fmt.Sprintf("exchange %d", i)); err != nil {
				violate("long connection api -> db: exchange %d failed: %v", i, err)
				return
			}
			rtt := time.Since(start)
			for {
				m := maxRTT.Load()
				if int64(rtt) <= m || maxRTT.CompareAndSwap(m, int64(rtt)) {
					break
				}
			}
			exchanges.Add(1)
		}
	})
	// New allowed connections, from cart and api. The timeout is below the
	// first SYN retransmission (1s): a dropped SYN fails the attempt.
	for _, name := range []string{"cart", "api"} {
		wg.Go(func() {
			for ctx.Err() == nil {
				c, err := dial(byName[name], 900*time.Millisecond)
				if err != nil {
					violate("new allowed connection %s -> db refused: %v", name, err)
					continue
				}
				err = echo(c, bufio.NewReader(c), "new")
				// Reset, not FIN: thousands of connections a second would
				// otherwise leave the source ports in TIME_WAIT.
				c.(*net.TCPConn).SetLinger(0)
				c.Close()
				if err != nil {
					violate("new allowed connection %s -> db: echo failed: %v", name, err)
					continue
				}
				newAllowed.Add(1)
				// Paced so that every connection's flows fit in the
				// agent's flow ring for the accounting below, however
				// fast the machine is.
				time.Sleep(3 * time.Millisecond)
			}
		})
	}
	// Denied attempts: web (shop, front tier) and prom (ops).
	for _, name := range []string{"web", "prom", "web"} {
		wg.Go(func() {
			for ctx.Err() == nil {
				deniedTries.Add(1)
				c, err := dial(byName[name], 300*time.Millisecond)
				if err == nil {
					c.Close()
					violate("denied connection %s -> db got through", name)
				}
			}
		})
	}

	begin := time.Now()
	time.Sleep(200 * time.Millisecond) // traffic under way before the first re-apply
	prev := rev0
	for i := range 100 {
		rev, err := strconv.Atoi(applyPolicy(t, a, files[(i+1)%2]))
		if err != nil {
			t.Fatal(err)
		}
		if rev <= prev {
			t.Errorf("apply %d enforced revision %d after revision %d; want a new revision", i+1, rev, prev)
		}
		prev = rev
	}
	applyTime := time.Since(begin)
	time.Sleep(200 * time.Millisecond)
	cancel()
	wg.Wait()
	t.Logf("100 applies in %s (revisions %d..%d): %d exchanges on the long connection (max round trip %s), %d new allowed connections, %d denied attempts",
		applyTime.Round(time.Millisecond), rev0, prev, exchanges.Load(), time.Duration(maxRTT.Load()).Round(time.Microsecond), newAllowed.Load(), deniedTries.Load())
	for _, v := range violations {
		t.Error(v)
	}
	if n := exchanges.Load(); n < int64(applyTime/(20*time.Millisecond))/2 {
		t.Errorf("only %d exchanges on the long connection in %s", n, applyTime)
	}
	if newAllowed.Load() < 20 || deniedTries.Load() < 20 {
		t.Errorf("too little traffic to judge: %d new allowed connections, %d denied attempts", newAllowed.Load(), deniedTries.Load())
	}
	if got := loupe(t, "policy", "list", "-o", "json", "--server", a.server()); strings.Count(got, `"name"`) != 1 || !strings.Contains(got, `"atom-db"`) {
		t.Errorf("policy list after the re-applies: want shop/atom-db alone: %s", got)
	}

	// The datapath's own account: no denied attempt forwarded, no allowed
	// connection dropped, and every denied attempt dropped by the policy.
	allowedSrc := map[string]string{byName["api"].v4: "api", byName["cart"].v4: "cart"}
	deniedSrc := map[string]string{byName["web"].v4: "web", byName["prom"].v4: "prom"}
	var drops, forwarded int
	problems := waitFor(3*time.Second, func() []string {
		var ps []string
		drops, forwarded = 0, 0
		for _, f := range policyFlows(t, a, begin.Add(-time.Second)) {
			if f.GetIp().GetDestination() != db.v4 || f.GetObservationPoint() != flow.ObservationPoint_TO_ENDPOINT {
				continue
			}
			src := f.GetIp().GetSource()
			switch {
			case allowedSrc[src] != "" && f.GetVerdict() != flow.Verdict_FORWARDED:
				ps = append(ps, fmt.Sprintf("allowed %s -> db: %s", allowedSrc[src], briefFlows([]*flow.Flow{f})))
			case deniedSrc[src] != "" && f.GetVerdict() != flow.Verdict_DROPPED:
				ps = append(ps, fmt.Sprintf("denied %s -> db: %s", deniedSrc[src], briefFlows([]*flow.Flow{f})))
			case deniedSrc[src] != "" && f.GetEventType() == flow.EventType_DROP:
				if f.GetDropReason() != flow.DropReason_POLICY_DENIED || len(f.GetPolicyNames()) == 0 {
					ps = append(ps, fmt.Sprintf("drop without reason or policy: %s", briefFlows([]*flow.Flow{f})))
				}
				drops++
			case allowedSrc[src] != "" && f.GetEventType() == flow.EventType_POLICY_VERDICT:
				forwarded++
			}
		}
		if int64(drops) < deniedTries.Load() {
			ps = append(ps, fmt.Sprintf("%d drop flows for %d denied attempts", drops, deniedTries.Load()))
		}
		if int64(forwarded) < newAllowed.Load() {
			ps = append(ps, fmt.Sprintf("%d forwarded policy verdicts for %d new allowed connections", forwarded, newAllowed.Load()))
		}
		return ps
	})
	for _, p := range problems[:min(len(problems), 30)] {
		t.Error(p)
	}
	t.Logf("flows: %d drops of denied attempts, %d forwarded verdicts for allowed connections (lost events: %d)", drops, forwarded, lostEvents(a))
}
