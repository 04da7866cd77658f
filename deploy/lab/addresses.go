package lab

import (
	"net/netip"
	"strings"
)

// addresses checks fixed addresses, then gives every other workload the next
// free address of each pool, in file order, so that a topology always gets
// the same addresses.
func (v *validator) addresses(t *Topology, s *topologySpec) {
	for _, fam := range []struct {
		field string
		pool  netip.Prefix
		get   func(*workloadSpec) string
		set   func(*Workload, netip.Addr)
	}{
		{"ipv4", t.IPv4Pool, func(w *workloadSpec) string { return w.IPv4 }, func(w *Workload, a netip.Addr) { w.IPv4 = a }},
		{"ipv6", t.IPv6Pool, func(w *workloadSpec) string { return w.IPv6 }, func(w *Workload, a netip.Addr) { w.IPv6 = a }},
	} {
		if !fam.pool.IsValid() {
			continue // the pool's own problem is already reported
		}
		used := make(map[netip.Addr]int)
		for i := range s.Workloads {
			ws := &s.Workloads[i]
			str := fam.get(ws)
			if str == "" {
				continue
			}
			line := lineOf(ws.node, fam.field)
			a, err := netip.ParseAddr(str)
			switch {
			case err != nil || strings.Contains(str, "/"):
				v.addf(line, "%s %q is not an address; write one address without prefix length, or leave %s out to allocate one", fam.field, str, fam.field)
			case !fam.pool.Contains(a):
				v.addf(line, "%s %s is outside %sPool %s; pick an address inside the pool or leave %s out to allocate one", fam.field, a, fam.field, fam.pool, fam.field)
			case !usable(fam.pool, a):
				v.addf(line, "%s %s is the network or broadcast address of %s; pick another", fam.field, a, fam.pool)
			default:
				if first, dup := used[a]; dup {
					v.addf(line, "%s %s is already used on line %d; addresses must be unique", fam.field, a, first)
					continue
				}
				used[a] = line
				fam.set(&t.Workloads[i], a)
			}
		}
		next := fam.pool.Addr()
		for i := range s.Workloads {
			ws := &s.Workloads[i]
			if fam.get(ws) != "" {
				continue
			}
			for next.IsValid() && fam.pool.Contains(next) {
				if _, taken := used[next]; !taken && usable(fam.pool, next) {
					break
				}
				next = next.Next()
			}
			if !next.IsValid() || !fam.pool.Contains(next) {
				v.addf(nodeLine(ws.node), "no free address left in %sPool %s for workload %s; use a larger pool", fam.field, fam.pool, t.Workloads[i].ID())
				break
			}
			used[next] = nodeLine(ws.node)
			fam.set(&t.Workloads[i], next)
			next = next.Next()
		}
	}
}

// usable excludes the network address of a pool and, for IPv4, its broadcast
// address; the smallest pools have neither.
func usable(p netip.Prefix, a netip.Addr) bool {
	if a == p.Addr() && p.Bits() < a.BitLen()-1 {
		return false
	}
	if a.Is4() && p.Bits() < 31 {
		b := a.As4()
		host := uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
		mask := uint32(1)<<(32-p.Bits()) - 1
		if host&mask == mask {
			return false
		}
	}
	return true
}
