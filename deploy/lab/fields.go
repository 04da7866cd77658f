package lab

import (
	"fmt"
	"reflect"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"
)

// maxNodes bounds the walk over a document, aliases included, so that an
// alias bomb is refused instead of expanded.
const maxNodes = 100000

// fieldChecker finds mapping keys that no struct field takes. yaml.v3 only
// does this through Decoder.KnownFields, which custom unmarshalers (needed for
// positions) lose, and its messages name Go types rather than what to fix.
type fieldChecker struct {
	file     string
	problems []Problem
	visited  int
}

func (c *fieldChecker) err() error {
	if len(c.problems) == 0 {
		return nil
	}
	return &TopologyError{File: c.file, Problems: c.problems}
}

func (c *fieldChecker) check(n *yaml.Node, t reflect.Type, what string) {
	c.visited++
	if c.visited > maxNodes {
		if c.visited == maxNodes+1 {
			c.problems = append(c.problems, Problem{Line: n.Line, Msg: "topology is too large or expands aliases too much"})
		}
		return
	}
	if n.Kind == yaml.AliasNode && n.Alias != nil {
		c.check(n.Alias, t, what)
		return
	}
	switch t.Kind() {
	case reflect.Struct:
		if n.Kind != yaml.MappingNode {
			return // a type error that Decode reports with its line
		}
		fields := yamlFields(t)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			if k.Value == "<<" { // merge key: its value holds fields of the same struct
				c.check(v, t, what)
				continue
			}
			ft, ok := fields[k.Value]
			if !ok {
				where := what
				if where == "" {
					where = "the top level"
				}
				c.problems = append(c.problems, Problem{Line: k.Line, Msg: fmt.Sprintf(
					"unknown field %q in %s; known fields are %s", k.Value, where, knownList(fields))})
				continue
			}
			child := k.Value
			if what != "" {
				child = what + "." + k.Value
			}
			c.check(v, ft, child)
		}
	case reflect.Slice:
		if n.Kind != yaml.SequenceNode {
			return
		}
		for i, item := range n.Content {
			c.check(item, t.Elem(), fmt.Sprintf("%s[%d]", what, i))
		}
	}
}

// yamlFields maps the yaml names of t's exported fields to their types.
func yamlFields(t reflect.Type) map[string]reflect.Type {
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
