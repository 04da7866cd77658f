package fqdn

import (
	"context"
	"errors"
	"net/netip"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/loupe-dev/loupe/datapath/policy"
)

// TestLearnPrefixesNames: what was learned is what a selector gets and
// what enrichment sees, both families, mapped addresses unmapped.
func TestLearnPrefixesNames(t *testing.T) {
	c := New(Config{Now: newFakeClock().Now}, nil)
	ctx := context.Background()
	if err := c.Learn(ctx, "API.example.com", addrs("::ffff:192.0.2.1", "2001:db8::1"), 30*time.Second, nil); err != nil {
		t.Fatal(err)
	}
	got := c.Prefixes(selector(t, "api.example.com.", ""))
	if diff := cmp.Diff(got, prefixes("192.0.2.1", "2001:db8::1"), cmp.Comparer(func(a, b netip.Prefix) bool { return a == b })); diff != "" {
		t.Errorf("Prefixes (-got +want):\n%s", diff)
	}
	if diff := cmp.Diff(c.Names(netip.MustParseAddr("192.0.2.1")), []string{"api.example.com"}); diff != "" {
		t.Errorf("Names (-got +want):\n%s", diff)
	}
	if n := c.Names(netip.MustParseAddr("192.0.2.2")); len(n) != 0 {
		t.Errorf("Names of an address never answered: %v", n)
	}
	if err := c.Learn(ctx, "empty.example.com", nil, time.Minute, nil); err != nil || c.Stats().Names != 1 {
		t.Errorf("an answer without addresses: err %v, %d names, want nothing recorded", err, c.Stats().Names)
	}
}

// TestSelectorMatching: matchName exact (case, trailing dot), matchPattern
// one label per '*', "*" everything.
func TestSelectorMatching(t *testing.T) {
	c := New(Config{Now: newFakeClock().Now}, nil)
	names := map[string]string{
		"example.com": "192.0.2.1", "api.example.com": "192.0.2.2",
		"a.b.example.com": "192.0.2.3", "other.org": "192.0.2.4",
	}
	for n, ip := range names {
		if err := c.Learn(context.Background(), n, addrs(ip), time.Minute, nil); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		name, pattern string
		want          []netip.Prefix
	}{
		{"EXAMPLE.com.", "", prefixes("192.0.2.1")},
		{"", "*.example.com", prefixes("192.0.2.2")},
		{"", "*.*.example.com", prefixes("192.0.2.3")},
		{"", "api*.example.com", prefixes("192.0.2.2")},
		{"", "*", prefixes("192.0.2.1", "192.0.2.2", "192.0.2.3", "192.0.2.4")},
		{"nothing.example.com", "", nil},
	} {
		got := c.Prefixes(selector(t, tc.name, tc.pattern))
		if diff := cmp.Diff(got, tc.want, cmp.Comparer(func(a, b netip.Prefix) bool { return a == b })); diff != "" {
			t.Errorf("%q %q (-got +want):\n%s", tc.name, tc.pattern, diff)
		}
	}
}

// TestOnChangeOnNewSelectedAddress: policy is re-installed for a new
// address of a selected name, not for a known one, nor for names no
// selector matches.
func TestOnChangeOnNewSelectedAddress(t *testing.T) {
	var calls atomic.Int32
	c := New(Config{Now: newFakeClock().Now, OnChange: func(context.Context) error { calls.Add(1); return nil }}, nil)
	c.SetSelectors([]*policy.FQDNSelector{selector(t, "", "*.example.com")})
	ctx := context.Background()
	steps := []struct {
		name string
		ips  []netip.Addr
		want int32
	}{
		{"api.example.com", addrs("192.0.2.1"), 1},
		{"api.example.com", addrs("192.0.2.1"), 1},              // known
		{"other.org", addrs("192.0.2.9"), 1},                    // not selected
		{"api.example.com", addrs("192.0.2.1", "192.0.2.2"), 2}, // one new
		{"web.example.com", addrs("192.0.2.1"), 3},              // known address, new name
	}
	for i, s := range steps {
		if err := c.Learn(ctx, s.name, s.ips, time.Minute, nil); err != nil {
			t.Fatal(err)
		}
		if got := calls.Load(); got != s.want {
			t.Errorf("step %d (%s): %d OnChange calls, want %d", i, s.name, got, s.want)
		}
	}
}

// TestLearnWaitsForOnChange: Learn returns only after OnChange did (the
// answer is released after the policy is installed), with its error.
func TestLearnWaitsForOnChange(t *testing.T) {
	entered, release := make(chan struct{}), make(chan error)
	c := New(Config{Now: newFakeClock().Now, OnChange: func(context.Context) error {
		entered <- struct{}{}
		return <-release
	}}, nil)
	c.SetSelectors([]*policy.FQDNSelector{selector(t, "api.example.com", "")})
	for _, want := range []error{nil, errors.New("map full")} {
		done := make(chan error, 1)
		ip := "192.0.2.1"
		if want != nil {
			ip = "192.0.2.2"
		}
		go func() { done <- c.Learn(context.Background(), "api.example.com", addrs(ip), time.Minute, nil) }()
		<-entered
		select {
		case err := <-done:
			t.Fatalf("Learn returned (%v) while OnChange was still running", err)
		default:
		}
		release <- want
		err := <-done
		if !errors.Is(err, want) || (want == nil) != (err == nil) {
			t.Errorf("Learn: %v, want %v", err, want)
		}
	}
	if s := c.Stats(); s.Changes != 2 || s.ChangeErrors != 1 {
		t.Errorf("stats %+v: want 2 changes, 1 error", s)
	}
}

// TestLearnCanceled: a caller that gives up waiting gets an error.
func TestLearnCanceled(t *testing.T) {
	release := make(chan struct{})
	c := New(Config{Now: newFakeClock().Now, OnChange: func(ctx context.Context) error {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-release:
			return nil
		}
	}}, nil)
	defer close(release)
	c.SetSelectors([]*policy.FQDNSelector{selector(t, "", "*")})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := c.Learn(ctx, "x.example.com", addrs("192.0.2.1"), time.Minute, nil); !errors.Is(err, context.Canceled) {
		t.Errorf("Learn with a canceled context: %v", err)
	}
}

// TestConcurrentLearns share OnChange calls and race nothing.
func TestConcurrentLearns(t *testing.T) {
	var calls atomic.Int32
	c := New(Config{OnChange: func(context.Context) error { calls.Add(1); return nil }}, nil)
	sel := selector(t, "", "*.example.com")
	c.SetSelectors([]*policy.FQDNSelector{sel})
	var wg sync.WaitGroup
	for i := range 32 {
		wg.Go(func() {
			ip := netip.AddrFrom4([4]byte{192, 0, 2, byte(i)})
			if err := c.Learn(context.Background(), "api.example.com", []netip.Addr{ip}, time.Minute, nil); err != nil {
				t.Error(err)
			}
			c.Names(ip)
		})
	}
	wg.Wait()
	if n := len(c.Prefixes(sel)); n != 32 {
		t.Errorf("%d prefixes, want 32", n)
	}
	if n := calls.Load(); n < 1 || n > 32 {
		t.Errorf("%d OnChange calls, want 1 to 32", n)
	}
}

// TestCNAMEChain: the addresses answered for a CNAME target belong to
// the name asked and to every name of the chain.
func TestCNAMEChain(t *testing.T) {
	var calls atomic.Int32
	c := New(Config{Now: newFakeClock().Now, OnChange: func(context.Context) error { calls.Add(1); return nil }}, nil)
	c.SetSelectors([]*policy.FQDNSelector{selector(t, "", "*.cdn.net")})
	err := c.Learn(context.Background(), "www.example.com.", addrs("192.0.2.7"), time.Minute, []string{"edge.example.com.", "x.cdn.net."})
	if err != nil {
		t.Fatal(err)
	}
	if calls.Load() != 1 {
		t.Errorf("a selector matching the chain's target: %d OnChange calls, want 1", calls.Load())
	}
	for _, sel := range []*policy.FQDNSelector{selector(t, "www.example.com", ""), selector(t, "edge.example.com", ""), selector(t, "", "*.cdn.net")} {
		if got := c.Prefixes(sel); len(got) != 1 || got[0] != prefixes("192.0.2.7")[0] {
			t.Errorf("%s: %v, want 192.0.2.7/32", sel, got)
		}
	}
	want := []string{"edge.example.com", "www.example.com", "x.cdn.net"}
	if diff := cmp.Diff(c.Names(netip.MustParseAddr("192.0.2.7")), want); diff != "" {
		t.Errorf("Names (-got +want):\n%s", diff)
	}
}
