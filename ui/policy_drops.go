package ui

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/loupe-dev/loupe/api/flow"
	"github.com/loupe-dev/loupe/api/observer"
)

// groupDrops groups drop flows by peers, protocol and port, the most
// frequent first.
func groupDrops(items []*observer.GetFlowsResponse, workload string) []dropGroup {
	byKey := map[string]*dropGroup{}
	for _, it := range items {
		f := it.GetFlow()
		if f == nil {
			continue
		}
		proto, port := l4Of(f)
		dir := "ingress"
		if endpointName(f.GetSource()) == workload {
			dir = "egress"
		}
		key := fmt.Sprintf("%s|%s|%s|%s|%d", dir, endpointName(f.GetSource()), endpointName(f.GetDestination()), proto, port)
		g := byKey[key]
		if g == nil {
			g = &dropGroup{
				Direction: dir, From: endpointName(f.GetSource()), To: endpointName(f.GetDestination()),
				Protocol: proto, Port: port, fromSel: selectorOf(f.GetSource()), toSel: selectorOf(f.GetDestination()),
			}
			byKey[key] = g
		}
		g.Count++
		g.Reasons = appendNew(g.Reasons, f.GetDropReason().String())
		for _, n := range f.GetPolicyNames() {
			g.PolicyNames = appendNew(g.PolicyNames, n)
		}
		if t := f.GetTime().AsTime(); t.After(g.Last) {
			g.Last = t
		}
	}
	out := make([]dropGroup, 0, len(byKey))
	for _, g := range byKey {
		out = append(out, *g)
	}
	slices.SortFunc(out, func(a, b dropGroup) int {
		return cmp.Or(cmp.Compare(b.Count, a.Count), strings.Compare(a.From, b.From), strings.Compare(a.To, b.To), cmp.Compare(a.Port, b.Port))
	})
	return out
}

func appendNew(list []string, v string) []string {
	if slices.Contains(list, v) {
		return list
	}
	return append(list, v)
}

func l4Of(f *flow.Flow) (string, uint32) {
	switch l := f.GetL4().GetProtocol().(type) {
	case *flow.Layer4_Tcp:
		return "tcp", l.Tcp.GetDestinationPort()
	case *flow.Layer4_Udp:
		return "udp", l.Udp.GetDestinationPort()
	case *flow.Layer4_Sctp:
		return "sctp", l.Sctp.GetDestinationPort()
	case *flow.Layer4_Icmpv4:
		return "icmp", l.Icmpv4.GetType()
	case *flow.Layer4_Icmpv6:
		return "icmpv6", l.Icmpv6.GetType()
	}
	return "", 0
}

func endpointName(e *flow.Endpoint) string {
	switch {
	case e.GetWorkload() != "":
		return e.GetNamespace() + "/" + e.GetWorkload()
	case e.GetIdentity() == 1:
		return "host"
	}
	return "world"
}

// selectorOf is the label selector policy explain takes for a peer.
func selectorOf(e *flow.Endpoint) string {
	switch {
	case e.GetIdentity() == 1:
		return "host"
	case len(e.GetLabels()) == 0 || e.GetIdentity() == 2:
		return "world"
	}
	return strings.Join(e.GetLabels(), ",")
}
