package yamlpos

import (
	"fmt"
	"reflect"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"
)

// DefaultMaxNodes bounds the walk over one document, aliases included, so
// that an alias bomb is refused instead of expanded.
const DefaultMaxNodes = 100000

// Checker finds mapping keys that no field of the target type takes. Field
// names come from yaml tags (or the lower-cased field name, as yaml.v3 does);
// Value[T] is seen through to T.
type Checker struct {
	// MaxNodes bounds the walk; 0 means DefaultMaxNodes.
	MaxNodes int
	// TooLargeMsg is the problem reported when the walk stops at MaxNodes;
	// "" means "document is too large or expands aliases too much".
	TooLargeMsg string
	Problems    []Problem
	visited     int
}

// TooLarge reports whether the walk stopped at MaxNodes; the document should
// then not be decoded at all.
func (c *Checker) TooLarge() bool { return c.visited > c.max() }

func (c *Checker) max() int {
	if c.MaxNodes > 0 {
		return c.MaxNodes
	}
	return DefaultMaxNodes
}

// Check walks n as a value of type t. what names n in messages ("spec",
// "spec.ingress[0]"); "" is the top level.
func (c *Checker) Check(n *yaml.Node, t reflect.Type, what string) {
	c.visited++
	if c.visited > c.max() {
		if c.visited == c.max()+1 {
			msg := c.TooLargeMsg
			if msg == "" {
				msg = "document is too large or expands aliases too much"
			}
			c.Problems = append(c.Problems, Problem{Line: n.Line, Msg: msg})
		}
		return
	}
	if n.Kind == yaml.AliasNode && n.Alias != nil {
		c.Check(n.Alias, t, what)
		return
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t.Implements(wrapperType) {
		c.Check(n, reflect.Zero(t).Interface().(wrapper).elemType(), what)
		return
	}
	switch t.Kind() {
	case reflect.Struct:
		if n.Kind != yaml.MappingNode {
			return // a type error that Decode reports with its line
		}
		c.checkMapping(n, t, what)
	case reflect.Slice:
		if n.Kind != yaml.SequenceNode {
			return
		}
		for i, item := range n.Content {
			c.Check(item, t.Elem(), fmt.Sprintf("%s[%d]", what, i))
		}
	}
}

func (c *Checker) checkMapping(n *yaml.Node, t reflect.Type, what string) {
	fields := Fields(t)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Value == "<<" { // merge key: its value holds fields of the same struct
			c.Check(v, t, what)
			continue
		}
		ft, ok := fields[k.Value]
		if !ok {
			where := what
			if where == "" {
				where = "the top level"
			}
			c.Problems = append(c.Problems, Problem{Line: k.Line, Msg: fmt.Sprintf(
				"unknown field %q in %s; known fields are %s", k.Value, where, knownList(fields))})
			continue
		}
		child := k.Value
		if what != "" {
			child = what + "." + k.Value
		}
		c.Check(v, ft, child)
	}
}

// Fields maps the yaml names of t's exported fields to their types.
func Fields(t reflect.Type) map[string]reflect.Type {
	m := make(map[string]reflect.Type)
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if name == "-" {
			continue
		}
		if name == "" {
			name = strings.ToLower(f.Name)
		}
		m[name] = f.Type
	}
	return m
}

func knownList(fields map[string]reflect.Type) string {
	names := make([]string, 0, len(fields))
	for k := range fields {
		names = append(names, k)
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}
