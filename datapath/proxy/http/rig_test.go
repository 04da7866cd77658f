package httpproxy

import (
	"context"
	"log/slog"
	"net"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/loupe-dev/loupe/api/flow"
	"github.com/loupe-dev/loupe/datapath/policy"
	"github.com/loupe-dev/loupe/datapath/proxy"
)

// waitLimit bounds how long a test waits for something that must happen;
// it fails the test only when the thing never happens.
const waitLimit = 10 * time.Second

// flowLog collects the handler's flows.
type flowLog struct {
	mu   sync.Mutex
	list []*flow.Flow
	more chan struct{}
}

func newFlowLog() *flowLog { return &flowLog{more: make(chan struct{}, 1)} }

func (l *flowLog) emit(f *flow.Flow) {
	l.mu.Lock()
	l.list = append(l.list, f)
	l.mu.Unlock()
	select {
	case l.more <- struct{}{}:
	default:
	}
}

// wait returns the first n flows, failing if they do not come.
func (l *flowLog) wait(t testing.TB, n int) []*flow.Flow {
	t.Helper()
	deadline := time.After(waitLimit)
	for {
		l.mu.Lock()
		if len(l.list) >= n {
			out := append([]*flow.Flow(nil), l.list[:n]...)
			l.mu.Unlock()
			return out
		}
		got := len(l.list)
		l.mu.Unlock()
		select {
		case <-l.more:
		case <-deadline:
			t.Fatalf("got %d flows, want %d", got, n)
		}
	}
}

func (l *flowLog) reset() {
	l.mu.Lock()
	l.list = nil
	l.mu.Unlock()
}

// rig is a proxy on loopback in front of one server: every connection
// accepted is served by the handler as if redirected to dst.
type rig struct {
	addr  string
	flows *flowLog
	h     *Handler
}

func newRig(t testing.TB, dst string, pol *proxy.Policy, cfg Config) *rig {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dstAP := netip.MustParseAddrPort(dst)
	r := &rig{addr: ln.Addr().String(), flows: newFlowLog()}
	r.h = New(cfg, proxy.PlainDialer{}, r.flows.emit, testLogger(t))
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			m := &proxy.Conn{
				Src: c.RemoteAddr().(*net.TCPAddr).AddrPort(), Dst: dstAP,
				SrcIdentity: 1001, DstIdentity: 1002, Proto: 6, Policy: pol,
				Direction: flow.TrafficDirection_EGRESS,
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				r.h.ServeConn(ctx, c, m)
			}()
		}
	}()
	t.Cleanup(func() {
		cancel()
		ln.Close()
		wg.Wait()
	})
	return r
}

// httpPolicy is an egress policy named name allowing what the rules match.
func httpPolicy(t testing.TB, name string, rules ...policy.HTTPRule) *proxy.Policy {
	t.Helper()
	var compiled []policy.HTTPRule
	for _, r := range rules {
		c, err := policy.NewHTTPRule(r)
		if err != nil {
			t.Fatal(err)
		}
		compiled = append(compiled, c)
	}
	return &proxy.Policy{Egress: &policy.L7Set{Grants: []policy.L7Grant{{
		Policy: name, Rule: name + " egress[0]", Rules: &policy.L7Rules{HTTP: compiled},
	}}}}
}

// testLogger logs the handler's debug messages into the test's output.
func testLogger(t testing.TB) *slog.Logger {
	return slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}
