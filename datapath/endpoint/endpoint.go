// Package endpoint manages the node's workloads: their identities, their
// entries in the datapath maps and the programs on their interfaces. State is
// saved so that a restarted agent re-adopts what the kernel still enforces.
package endpoint

import (
	"fmt"
	"maps"
	"net/netip"
	"slices"

	"github.com/loupe-dev/loupe/api/labels"
)

// Endpoint is one workload on this node.
type Endpoint struct {
	ID         uint16            `json:"id"`
	Namespace  string            `json:"namespace"`
	Workload   string            `json:"workload"`
	Labels     map[string]string `json:"labels"`
	Identity   uint32            `json:"identity"`
	Interface  string            `json:"interface"`
	Ifindex    int               `json:"ifindex"`
	Addresses  []netip.Addr      `json:"addresses"`
	Netns      string            `json:"netns,omitempty"`
	AttachMode string            `json:"attachMode"`
}

// Spec is what a runtime asks for.
type Spec struct {
	Namespace string
	Workload  string
	Labels    map[string]string
	Interface string
	Addresses []netip.Addr
	Netns     string
}

// Key names an endpoint uniquely on the node.
func Key(namespace, workload string) string { return namespace + "/" + workload }

// IdentityLabels is the label set that decides the endpoint's identity: its
// labels plus its namespace.
func (s Spec) IdentityLabels() (labels.Set, error) {
	m := maps.Clone(s.Labels)
	if m == nil {
		m = map[string]string{}
	}
	m[labels.NamespaceKey] = s.Namespace
	return labels.FromMap(m)
}

// Validate checks a spec without touching the system.
func (s Spec) Validate() error {
	if err := labels.ValidateValue(s.Namespace); err != nil || s.Namespace == "" {
		return fmt.Errorf("namespace %q: want a non-empty label value", s.Namespace)
	}
	if err := labels.ValidateValue(s.Workload); err != nil || s.Workload == "" {
		return fmt.Errorf("workload %q: want a non-empty label value", s.Workload)
	}
	if _, ok := s.Labels[labels.NamespaceKey]; ok {
		return fmt.Errorf("label %s is reserved for the namespace", labels.NamespaceKey)
	}
	if _, err := s.IdentityLabels(); err != nil {
		return err
	}
	if s.Interface == "" {
		return fmt.Errorf("interface name is required")
	}
	if len(s.Addresses) == 0 {
		return fmt.Errorf("at least one address is required")
	}
	for _, a := range s.Addresses {
		if !a.IsValid() || a.IsUnspecified() || a.IsMulticast() {
			return fmt.Errorf("address %s: want a unicast address", a)
		}
	}
	return nil
}

// spec is what e was created from.
func (e *Endpoint) spec() Spec {
	return Spec{Namespace: e.Namespace, Workload: e.Workload, Labels: e.Labels, Interface: e.Interface, Addresses: e.Addresses, Netns: e.Netns}
}

// sameSpec reports whether e was created from s.
func (e *Endpoint) sameSpec(s Spec) bool {
	return e.Namespace == s.Namespace && e.Workload == s.Workload && e.Interface == s.Interface &&
		maps.Equal(e.Labels, s.Labels) && slices.Equal(e.Addresses, s.Addresses) && e.Netns == s.Netns
}
