package policy

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// ErrInvalidPolicy matches every *ParseError.
var ErrInvalidPolicy = errors.New("invalid policy")

// Problem is one thing wrong with a policy file. Line is 1-based; 0 means
// the file as a whole.
type Problem struct {
	File string
	Line int
	Msg  string
}

func (p Problem) String() string {
	if p.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", p.File, p.Line, p.Msg)
	}
	return fmt.Sprintf("%s: %s", p.File, p.Msg)
}

// ParseError refuses policy files whole: it lists every problem found, in
// file and line order, so that one edit fixes them all.
type ParseError struct {
	Problems []Problem
}

// Error is one "file:line: what is wrong" line per problem.
func (e *ParseError) Error() string {
	lines := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		lines[i] = p.String()
	}
	return strings.Join(lines, "\n")
}

// Is makes errors.Is(err, ErrInvalidPolicy) true.
func (e *ParseError) Is(target error) bool { return target == ErrInvalidPolicy }

// problems collects the problems of one file.
type problems struct {
	file string
	list []Problem
}

func (ps *problems) addf(line int, format string, a ...any) {
	ps.list = append(ps.list, Problem{File: ps.file, Line: line, Msg: fmt.Sprintf(format, a...)})
}

// sorted returns the problems of one file in line order; problems about the
// whole file come first.
func (ps *problems) sorted() []Problem {
	list := slices.Clone(ps.list)
	slices.SortStableFunc(list, func(a, b Problem) int { return cmp.Compare(a.Line, b.Line) })
	return list
}
