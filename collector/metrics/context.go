package metrics

import (
	"strconv"
	"strings"

	"github.com/loupe-dev/loupe/api/flow"
)

// ctxValue is one side's context taken from a flow without building a
// string: the identity number, or up to two strings the flow already holds.
type ctxValue struct {
	id   uint32
	a, b string
}

// valueOf reads the context of ep; a missing endpoint gives the zero value,
// rendered as "".
func valueOf(c Context, ep *flow.Endpoint) ctxValue {
	if ep == nil || c == ContextNone {
		return ctxValue{}
	}
	switch c {
	case ContextNamespace:
		return ctxValue{a: ep.Namespace}
	case ContextWorkload:
		return ctxValue{a: ep.Namespace, b: ep.Workload}
	case ContextIdentity:
		return ctxValue{id: ep.Identity}
	case ContextApp:
		return ctxValue{a: appLabel(ep.Labels)}
	}
	return ctxValue{}
}

// appLabel finds the value of the "app" label (in any source prefix, as
// "app=x" or "k8s:app=x") as a substring, so nothing is allocated.
func appLabel(labels []string) string {
	for _, l := range labels {
		k, v, ok := strings.Cut(l, "=")
		if !ok {
			continue
		}
		if i := strings.LastIndexByte(k, ':'); i >= 0 {
			k = k[i+1:]
		}
		if k == "app" {
			return v
		}
	}
	return ""
}

// render is the label value of v; it runs only when a series is created.
func (v ctxValue) render(c Context) string {
	switch c {
	case ContextWorkload:
		if v.a == "" && v.b == "" {
			return ""
		}
		return v.a + "/" + v.b
	case ContextIdentity:
		if v.id == 0 {
			return ""
		}
		return strconv.FormatUint(uint64(v.id), 10)
	}
	return v.a
}

// Live is the set of endpoints on the node, for expiring series of those
// that left.
type Live struct {
	Namespaces map[string]bool
	Workloads  map[[2]string]bool // namespace, workload
	Identities map[uint32]bool
	Apps       map[string]bool
}

// NewLive builds the set from the endpoints' records and the identities the
// node knows (reserved ones such as world included).
func NewLive(eps []*flow.Endpoint, identities []uint32) Live {
	l := Live{Namespaces: map[string]bool{}, Workloads: map[[2]string]bool{}, Identities: map[uint32]bool{}, Apps: map[string]bool{}}
	for _, ep := range eps {
		l.Namespaces[ep.Namespace] = true
		l.Workloads[[2]string{ep.Namespace, ep.Workload}] = true
		l.Identities[ep.Identity] = true
		if app := appLabel(ep.Labels); app != "" {
			l.Apps[app] = true
		}
	}
	for _, id := range identities {
		l.Identities[id] = true
	}
	return l
}

// has reports whether v still names a live endpoint or known identity.
// Flows without an endpoint on that side have nothing to depart and stay.
func (l Live) has(c Context, v ctxValue) bool {
	switch c {
	case ContextNamespace:
		return v.a == "" || l.Namespaces[v.a]
	case ContextWorkload:
		return v == ctxValue{} || l.Workloads[[2]string{v.a, v.b}]
	case ContextIdentity:
		return v.id == 0 || l.Identities[v.id]
	case ContextApp:
		return v.a == "" || l.Apps[v.a]
	}
	return true
}
