// Package labels holds workload labels and Kubernetes-style label selectors,
// shared by the agent (identities), the lab (topologies) and filters.
package labels

import (
	"fmt"
	"regexp"
	"sort"
	"strings"
)

// NamespaceKey is the label every workload carries with its namespace name, so
// that equal labels in different namespaces are different identities.
const NamespaceKey = "loupe.namespace"

// Set is a label set as sorted "key=value" strings.
type Set []string

var (
	keyRe   = regexp.MustCompile(`^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$`)
	valueRe = regexp.MustCompile(`^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$`)
)

// ValidateKey reports whether k is a valid label key (Kubernetes syntax).
func ValidateKey(k string) error {
	if len(k) > 253 || !keyRe.MatchString(k) {
		return fmt.Errorf("invalid label key %q: want [prefix/]name of letters, digits, '-', '_', '.'", k)
	}
	return nil
}

// ValidateValue reports whether v is a valid label value (Kubernetes syntax).
func ValidateValue(v string) error {
	if !valueRe.MatchString(v) {
		return fmt.Errorf("invalid label value %q: want at most 63 letters, digits, '-', '_', '.'", v)
	}
	return nil
}

// FromMap validates m and returns it as a sorted set.
func FromMap(m map[string]string) (Set, error) {
	s := make(Set, 0, len(m))
	for k, v := range m {
		if err := ValidateKey(k); err != nil {
			return nil, err
		}
		if err := ValidateValue(v); err != nil {
			return nil, err
		}
		s = append(s, k+"="+v)
	}
	sort.Strings(s)
	return s, nil
}

// Get returns the value of key k and whether it is present.
func (s Set) Get(k string) (string, bool) {
	for _, kv := range s {
		if key, val, _ := strings.Cut(kv, "="); key == k {
			return val, true
		}
	}
	return "", false
}

// String returns the canonical form "k1=v1,k2=v2".
func (s Set) String() string { return strings.Join(s, ",") }
