package policy

import (
	"strings"

	"github.com/loupe-dev/loupe/api/labels"
)

// namespaceOf returns the namespace of a workload identity's labels; other
// identities (reserved, CIDR) have none and are never selected by label.
func namespaceOf(l labels.Set) (string, bool) {
	return l.Get(labels.NamespaceKey)
}

// selects reports whether s selects the workload with identity labels l.
// nsLabels gives a namespace's labels for Kubernetes namespaceSelectors.
func (s Selector) selects(l labels.Set, nsLabels func(string) labels.Set) bool {
	ns, ok := namespaceOf(l)
	if !ok {
		return false
	}
	if s.Namespace != "" && ns != s.Namespace {
		return false
	}
	if s.Namespaces != nil && !s.Namespaces.Matches(nsLabels(ns)) {
		return false
	}
	return s.Labels.Matches(l)
}

// String describes the selector for messages: "{app=db} in shop".
func (s Selector) String() string {
	var b strings.Builder
	b.WriteString("{" + s.Labels.String() + "}")
	if s.Namespace != "" {
		b.WriteString(" in " + s.Namespace)
	}
	if s.Namespaces != nil {
		b.WriteString(" in namespaces {" + s.Namespaces.String() + "}")
	}
	return b.String()
}
