package filters

import (
	"net/netip"
	"strconv"
	"strings"
	"testing"

	"github.com/loupe-dev/loupe/api/flow"
	"github.com/loupe-dev/loupe/api/labels"
)

// FuzzCompile feeds arbitrary selector, CIDR and status strings to Compile.
// It must never panic, and what it accepts must agree with the parsers it is
// built on: the label selector, netip and the status code syntax.
func FuzzCompile(f *testing.F) {
	for _, seed := range []struct{ sel, cidr, status string }{
		{"app=frontend", "10.0.1.0/24", "5+"},
		{"app in (a,b),!tier", "fd00::10", "503"},
		{"app in (a", "10.0.0.0/33", "5"},
		{"", "::ffff:10.0.0.1/104", "40+"},
		{"a!=b,c notin (d)", "fe80::1%eth0", "600"},
		{"(", "10.0.0.1/08", "2++"},
	} {
		f.Add(seed.sel, seed.cidr, seed.status)
	}
	f.Fuzz(func(t *testing.T, sel, cidr, status string) {
		set := labels.Set{"app=frontend", "loupe.namespace=shop", "tier=web"}
		for _, ff := range []*flow.FlowFilter{
			{SourceLabel: []string{sel}},
			{DestinationIp: []string{cidr}},
			{HttpStatusCode: []string{status}},
		} {
			fn, err := Compile([]*flow.FlowFilter{ff}, nil)
			if err != nil {
				continue
			}
			for _, fl := range testFlows {
				fn(fl)
			}
			switch {
			case ff.SourceLabel != nil:
				want, perr := labels.ParseSelector(sel)
				if perr != nil {
					t.Fatalf("Compile accepted selector %q that ParseSelector refuses: %v", sel, perr)
				}
				fl := &flow.Flow{Source: &flow.Endpoint{Labels: set}}
				if got := fn(fl); got != want.Matches(set) {
					t.Fatalf("selector %q: filter says %v, selector says %v", sel, got, !got)
				}
			case ff.DestinationIp != nil:
				p, perr := netip.ParsePrefix(cidr)
				if perr != nil {
					a, aerr := netip.ParseAddr(cidr)
					if aerr != nil {
						t.Fatalf("Compile accepted %q, netip refuses it: %v", cidr, aerr)
					}
					p = netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen())
				}
				// The first address of the prefix is in it.
				first := p.Masked().Addr()
				if !fn(&flow.Flow{Ip: &flow.IP{Destination: first.String()}}) {
					t.Fatalf("destination_ip %q does not match its own first address %s", cidr, first)
				}
			case ff.HttpStatusCode != nil:
				// An accepted status is a code or a prefix of one, and matches
				// exactly the codes that start with it.
				digits := strings.TrimSuffix(status, "+")
				r, ok := parseStatus(status)
				if !ok || r.lo < 100 || r.hi > 599 || r.lo > r.hi {
					t.Fatalf("status %q accepted as %d-%d", status, r.lo, r.hi)
				}
				for _, code := range []uint32{r.lo - 1, r.lo, r.hi, r.hi + 1} {
					fl := &flow.Flow{L7: &flow.Layer7{Record: &flow.Layer7_Http{Http: &flow.HTTP{Code: code}}}}
					want := strings.HasPrefix(strconv.Itoa(int(code)), digits) && code >= 100 && code <= 999
					if digits == status {
						want = strconv.Itoa(int(code)) == digits
					}
					if got := fn(fl); got != want {
						t.Fatalf("status %q, code %d: match %v, want %v", status, code, got, want)
					}
				}
			}
		}
	})
}
