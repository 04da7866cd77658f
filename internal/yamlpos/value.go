package yamlpos

import (
	"reflect"

	"gopkg.in/yaml.v3"
)

// Value is a decoded YAML value and the 1-based line it was written on. Line
// is 0 when the value was absent or null: yaml.v3 does not call unmarshalers
// for null nodes, so presence can be told from Line.
type Value[T any] struct {
	V    T
	Line int
}

// UnmarshalYAML records the line and decodes the value itself. Type errors
// are returned as *yaml.TypeError, which yaml.v3 merges into the enclosing
// decode so that one pass reports all of them.
func (v *Value[T]) UnmarshalYAML(n *yaml.Node) error {
	v.Line = n.Line
	return n.Decode(&v.V)
}

// Set reports whether the value was written (and not null).
func (v Value[T]) Set() bool { return v.Line > 0 }

// LineOr returns the value's line, or fallback when it was not written.
func (v Value[T]) LineOr(fallback int) int {
	if v.Line > 0 {
		return v.Line
	}
	return fallback
}

// elemType lets Checker see through a Value to the type it wraps.
func (Value[T]) elemType() reflect.Type { return reflect.TypeFor[T]() }

type wrapper interface{ elemType() reflect.Type }

var wrapperType = reflect.TypeFor[wrapper]()
