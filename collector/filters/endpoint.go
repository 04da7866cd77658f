package filters

import (
	"errors"
	"slices"
	"strings"

	"github.com/loupe-dev/loupe/api/flow"
	"github.com/loupe-dev/loupe/api/labels"
)

// side picks the source or the destination endpoint of a flow.
type side func(*flow.Flow) *flow.Endpoint

// compileLabels: each value is a Kubernetes-style label selector over the
// endpoint's labels ("app=frontend,tier in (web)").
func compileLabels(b *builder, field string, values []string, ep side) {
	if len(values) == 0 {
		return
	}
	sels := make([]labels.Selector, 0, len(values))
	for _, v := range values {
		if strings.TrimSpace(v) == "" {
			b.fail(field, v, "empty label selector")
			continue
		}
		sel, err := labels.ParseSelector(v)
		if err != nil {
			// ParseSelector wraps the requirement that failed; the selector
			// itself is already quoted in our message.
			if inner := errors.Unwrap(err); inner != nil {
				err = inner
			}
			b.fail(field, v, "bad label selector: "+err.Error())
			continue
		}
		sels = append(sels, sel)
	}
	b.add(costList, func(f *flow.Flow) bool {
		set := labels.Set(ep(f).GetLabels())
		for _, sel := range sels {
			if sel.Matches(set) {
				return true
			}
		}
		return false
	})
}

// compileNamespaces: each value is a namespace name, matched exactly.
func compileNamespaces(b *builder, field string, values []string, ep side) {
	if len(values) == 0 {
		return
	}
	for _, v := range values {
		if v == "" {
			b.fail(field, v, "empty namespace")
		}
	}
	// Copied so that a caller reusing the request cannot change the filter.
	values = slices.Clone(values)
	b.add(costString, func(f *flow.Flow) bool {
		return slices.Contains(values, ep(f).GetNamespace())
	})
}

type workloadName struct{ namespace, name string }

// compileWorkloads: each value is a workload name, or "namespace/name" to pin
// the namespace too, as the CLI prints endpoints.
func compileWorkloads(b *builder, field string, values []string, ep side) {
	if len(values) == 0 {
		return
	}
	names := make([]workloadName, 0, len(values))
	for _, v := range values {
		ns, name, pinned := strings.Cut(v, "/")
		if !pinned {
			ns, name = "", v
		}
		if name == "" || (pinned && ns == "") || strings.Contains(name, "/") {
			b.fail(field, v, "want a workload name or namespace/name")
			continue
		}
		names = append(names, workloadName{namespace: ns, name: name})
	}
	b.add(costString, func(f *flow.Flow) bool {
		e := ep(f)
		for _, w := range names {
			if e.GetWorkload() == w.name && (w.namespace == "" || e.GetNamespace() == w.namespace) {
				return true
			}
		}
		return false
	})
}

// compileIdentities: each value is a numeric security identity.
func compileIdentities(b *builder, _ string, values []uint32, ep side) {
	if len(values) == 0 {
		return
	}
	values = slices.Clone(values)
	b.add(costNumber, func(f *flow.Flow) bool {
		return slices.Contains(values, ep(f).GetIdentity())
	})
}
