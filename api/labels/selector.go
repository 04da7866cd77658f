package labels

import (
	"fmt"
	"slices"
	"strings"
)

// Selector is a parsed label selector in Kubernetes syntax: requirements
// separated by commas, all of which must hold:
//
//	app=frontend  app==frontend  app!=db  app in (a,b)  app notin (a,b)  app  !app
type Selector struct {
	reqs []requirement
	text string
}

type operator int

const (
	opEquals operator = iota
	opNotEquals
	opIn
	opNotIn
	opExists
	opNotExists
)

type requirement struct {
	key    string
	op     operator
	values []string
}

// ParseSelector parses s; an empty selector matches everything.
func ParseSelector(s string) (Selector, error) {
	sel := Selector{text: s}
	for _, part := range splitTopLevel(s) {
		part = strings.TrimSpace(part)
		if part == "" {
			if strings.TrimSpace(s) == "" {
				break
			}
			return Selector{}, fmt.Errorf("label selector %q: empty requirement", s)
		}
		r, err := parseRequirement(part)
		if err != nil {
			return Selector{}, fmt.Errorf("label selector %q: %w", s, err)
		}
		sel.reqs = append(sel.reqs, r)
	}
	return sel, nil
}

// splitTopLevel splits on commas outside parentheses.
func splitTopLevel(s string) []string {
	var parts []string
	depth, start := 0, 0
	for i, c := range s {
		switch c {
		case '(':
			depth++
		case ')':
			depth--
		case ',':
			if depth == 0 {
				parts = append(parts, s[start:i])
				start = i + 1
			}
		}
	}
	return append(parts, s[start:])
}

func parseRequirement(p string) (requirement, error) {
	if strings.HasPrefix(p, "!") {
		k := strings.TrimSpace(p[1:])
		return requirement{key: k, op: opNotExists}, ValidateKey(k)
	}
	for _, op := range []struct {
		tok string
		op  operator
	}{{"!=", opNotEquals}, {"==", opEquals}, {"=", opEquals}} {
		if k, v, ok := strings.Cut(p, op.tok); ok {
			k, v = strings.TrimSpace(k), strings.TrimSpace(v)
			if err := ValidateKey(k); err != nil {
				return requirement{}, err
			}
			if err := ValidateValue(v); err != nil {
				return requirement{}, err
			}
			return requirement{key: k, op: op.op, values: []string{v}}, nil
		}
	}
	fields := strings.Fields(p)
	if len(fields) == 1 {
		return requirement{key: fields[0], op: opExists}, ValidateKey(fields[0])
	}
	if len(fields) >= 2 && (fields[1] == "in" || fields[1] == "notin") {
		rest := strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(p[len(fields[0]):]), fields[1]))
		if !strings.HasPrefix(rest, "(") || !strings.HasSuffix(rest, ")") {
			return requirement{}, fmt.Errorf("%q: want %s (v1,v2)", p, fields[1])
		}
		r := requirement{key: fields[0], op: opIn}
		if fields[1] == "notin" {
			r.op = opNotIn
		}
		if err := ValidateKey(r.key); err != nil {
			return requirement{}, err
		}
		for _, v := range strings.Split(rest[1:len(rest)-1], ",") {
			v = strings.TrimSpace(v)
			if err := ValidateValue(v); err != nil {
				return requirement{}, err
			}
			r.values = append(r.values, v)
		}
		return r, nil
	}
	return requirement{}, fmt.Errorf("%q: want key=value, key!=value, key in (...), key notin (...), key or !key", p)
}

// Matches reports whether the label set satisfies every requirement.
func (sel Selector) Matches(s Set) bool {
	for _, r := range sel.reqs {
		v, ok := s.Get(r.key)
		var pass bool
		switch r.op {
		case opEquals, opIn:
			pass = ok && slices.Contains(r.values, v)
		case opNotEquals, opNotIn:
			pass = !ok || !slices.Contains(r.values, v)
		case opExists:
			pass = ok
		case opNotExists:
			pass = !ok
		}
		if !pass {
			return false
		}
	}
	return true
}

// String returns the selector as it was written.
func (sel Selector) String() string { return sel.text }
