package metrics

import (
	"fmt"
	"slices"
	"strings"
)

// Context selects what source and destination labels a family carries.
type Context uint8

const (
	ContextNone Context = iota
	ContextNamespace
	ContextWorkload
	ContextIdentity
	ContextApp
)

var contextNames = map[string]Context{
	"none": ContextNone, "namespace": ContextNamespace, "workload": ContextWorkload,
	"identity": ContextIdentity, "app": ContextApp,
}

// Spec enables one family with its label contexts.
type Spec struct {
	Name        string
	Source      Context
	Destination Context
}

// Families are the names --metrics accepts.
var Families = []string{"flow", "drop", "policy", "tcp", "icmp", "port-distribution", "dns", "http", "kafka"}

// DefaultSpecs is every family, without label contexts.
const DefaultSpecs = "flow,drop,policy,tcp,icmp,port-distribution,dns,http,kafka"

// ParseSpecs reads Hubble's syntax:
// "flow:sourceContext=namespace;destinationContext=workload,drop,policy".
// An empty string enables nothing.
func ParseSpecs(s string) ([]Spec, error) {
	var specs []Spec
	seen := map[string]bool{}
	for item := range strings.SplitSeq(s, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		name, opts, _ := strings.Cut(item, ":")
		if !slices.Contains(Families, name) {
			return nil, fmt.Errorf("metric %q: want one of %s", name, strings.Join(Families, ", "))
		}
		if seen[name] {
			return nil, fmt.Errorf("metric %q: given twice", name)
		}
		seen[name] = true
		spec := Spec{Name: name}
		for opt := range strings.SplitSeq(opts, ";") {
			if opt == "" {
				continue
			}
			k, v, _ := strings.Cut(opt, "=")
			c, ok := contextNames[v]
			if !ok {
				return nil, fmt.Errorf("metric %q: %s %q: want namespace, workload, identity, app or none", name, k, v)
			}
			switch k {
			case "sourceContext":
				spec.Source = c
			case "destinationContext":
				spec.Destination = c
			default:
				return nil, fmt.Errorf("metric %q: option %q: want sourceContext or destinationContext", name, k)
			}
		}
		specs = append(specs, spec)
	}
	return specs, nil
}
