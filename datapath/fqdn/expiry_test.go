package fqdn

import (
	"context"
	"errors"
	"net/netip"
	"testing"
	"time"

	"github.com/loupe-dev/loupe/datapath/policy"
)

// TestExpiry: an address is allowed until its TTL runs out, then not;
// the GC re-installs policy for it; MinTTL raises short TTLs.
func TestExpiry(t *testing.T) {
	clock := newFakeClock()
	changed := make(chan struct{}, 16)
	c := New(Config{Now: clock.Now, GCInterval: time.Millisecond, OnChange: func(context.Context) error {
		changed <- struct{}{}
		return nil
	}}, nil)
	sel := selector(t, "api.example.com", "")
	c.SetSelectors([]*policy.FQDNSelector{sel})
	if err := c.Learn(context.Background(), "api.example.com", addrs("192.0.2.1"), 30*time.Second, nil); err != nil {
		t.Fatal(err)
	}
	<-changed
	c.Start()
	defer c.Stop()
	clock.Advance(29 * time.Second)
	if len(c.Prefixes(sel)) != 1 || len(c.Names(netip.MustParseAddr("192.0.2.1"))) != 1 {
		t.Fatal("address gone before its TTL")
	}
	select {
	case <-changed:
		t.Fatal("OnChange before anything expired")
	default:
	}
	clock.Advance(time.Second)
	if p := c.Prefixes(sel); len(p) != 0 {
		t.Errorf("after the TTL: %v still allowed", p)
	}
	if n := c.Names(netip.MustParseAddr("192.0.2.1")); len(n) != 0 {
		t.Errorf("after the TTL: names %v", n)
	}
	<-changed // the GC removed the address, then re-installed policy
	if s := c.Stats(); s.Expired != 1 || s.Names != 0 || s.IPs != 0 {
		t.Errorf("after GC: %+v", s)
	}
}

func TestMinTTL(t *testing.T) {
	clock := newFakeClock()
	c := New(Config{Now: clock.Now, MinTTL: time.Minute}, nil)
	sel := selector(t, "api.example.com", "")
	if err := c.Learn(context.Background(), "api.example.com", addrs("192.0.2.1"), time.Second, nil); err != nil {
		t.Fatal(err)
	}
	clock.Advance(59 * time.Second)
	if len(c.Prefixes(sel)) != 1 {
		t.Error("gone before MinTTL")
	}
	clock.Advance(time.Second)
	if len(c.Prefixes(sel)) != 0 {
		t.Error("kept after MinTTL")
	}
}

// TestExpiredRelearned: an address answered again after it expired is new
// again: policy is re-installed before the answer is released.
func TestExpiredRelearned(t *testing.T) {
	clock := newFakeClock()
	calls := 0
	c := New(Config{Now: clock.Now, OnChange: func(context.Context) error { calls++; return nil }}, nil)
	c.SetSelectors([]*policy.FQDNSelector{selector(t, "api.example.com", "")})
	for range 2 {
		if err := c.Learn(context.Background(), "api.example.com", addrs("192.0.2.1"), time.Second, nil); err != nil {
			t.Fatal(err)
		}
		clock.Advance(2 * time.Second)
	}
	if calls != 2 {
		t.Errorf("%d OnChange calls, want 2", calls)
	}
}

// TestBounds: names and addresses per name are bounded, overflow counted;
// a selected name evicts an unselected one, and fails when it cannot.
func TestBounds(t *testing.T) {
	clock := newFakeClock()
	c := New(Config{Now: clock.Now, MaxNames: 2, MaxIPsPerName: 2}, nil)
	ctx := context.Background()
	for i, n := range []string{"a.org", "b.org", "c.org"} {
		if err := c.Learn(ctx, n, []netip.Addr{netip.AddrFrom4([4]byte{192, 0, 2, byte(i)})}, time.Minute, nil); err != nil {
			t.Fatal(err)
		}
	}
	if s := c.Stats(); s.Names != 2 || s.NameOverflow != 1 {
		t.Errorf("three names in two: %+v", s)
	}
	c.SetSelectors([]*policy.FQDNSelector{selector(t, "", "*.example.com")})
	for _, n := range []string{"x.example.com", "y.example.com"} {
		if err := c.Learn(ctx, n, addrs("198.51.100.1"), time.Minute, nil); err != nil {
			t.Fatalf("%s: %v", n, err)
		}
	}
	if s := c.Stats(); s.Evicted != 2 {
		t.Errorf("selected names evicting: %+v", s)
	}
	err := c.Learn(ctx, "z.example.com", addrs("198.51.100.2"), time.Minute, nil)
	if !errors.Is(err, ErrFull) {
		t.Errorf("a selected name with no room: %v, want ErrFull", err)
	}
	// Addresses per name: the one that expires first makes room.
	if err := c.Learn(ctx, "x.example.com", addrs("198.51.100.3"), 2*time.Minute, nil); err != nil {
		t.Fatal(err)
	}
	if err := c.Learn(ctx, "x.example.com", addrs("198.51.100.4"), 3*time.Minute, nil); err != nil {
		t.Fatal(err)
	}
	got := c.Prefixes(selector(t, "x.example.com", ""))
	if want := prefixes("198.51.100.3", "198.51.100.4"); len(got) != 2 || got[0] != want[0] || got[1] != want[1] {
		t.Errorf("after address overflow: %v, want %v", got, want)
	}
	if s := c.Stats(); s.IPOverflow != 1 {
		t.Errorf("address overflow not counted: %+v", s)
	}
	// An expired name makes room without eviction.
	clock.Advance(10 * time.Minute)
	if err := c.Learn(ctx, "late.org", addrs("203.0.113.1"), time.Minute, nil); err != nil {
		t.Fatal(err)
	}
	if len(c.Names(netip.MustParseAddr("203.0.113.1"))) != 1 {
		t.Error("expired names did not make room")
	}
}
