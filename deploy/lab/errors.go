package lab

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/loupe-dev/loupe/internal/yamlpos"
)

var (
	// ErrInvalidTopology matches every *TopologyError.
	ErrInvalidTopology = errors.New("invalid topology")
	// ErrConflict is returned by Up when the lab's name or addresses are
	// taken; it matches every *ConflictError.
	ErrConflict = errors.New("lab conflict")
	// ErrNotFound is returned when a lab or workload name matches nothing.
	ErrNotFound = errors.New("not found")
	// ErrAmbiguous is returned when a bare workload name matches several.
	ErrAmbiguous = errors.New("ambiguous name")
)

// Problem is one thing wrong with a topology file. Line is 1-based; 0 means
// the problem is about the file as a whole.
type Problem = yamlpos.Problem

// TopologyError refuses a topology file: it lists every problem found, each
// with its line, so that one edit fixes them all.
type TopologyError struct {
	File     string
	Problems []Problem
}

func (e *TopologyError) Error() string {
	ps := append([]Problem(nil), e.Problems...)
	sort.SliceStable(ps, func(i, j int) bool { return ps[i].Line < ps[j].Line })
	lines := make([]string, len(ps))
	for i, p := range ps {
		if p.Line > 0 {
			lines[i] = fmt.Sprintf("%s:%d: %s", e.File, p.Line, p.Msg)
		} else {
			lines[i] = fmt.Sprintf("%s: %s", e.File, p.Msg)
		}
	}
	if len(lines) == 1 {
		return lines[0]
	}
	return fmt.Sprintf("topology %s has %d problems:\n  %s", e.File, len(lines), strings.Join(lines, "\n  "))
}

// Is makes errors.Is(err, ErrInvalidTopology) true.
func (e *TopologyError) Is(target error) bool { return target == ErrInvalidTopology }

// ConflictError refuses a lab that would clash with what exists; nothing
// has been created.
type ConflictError struct{ Msg string }

func (e *ConflictError) Error() string { return e.Msg }

// Is makes errors.Is(err, ErrConflict) true.
func (e *ConflictError) Is(target error) bool { return target == ErrConflict }

func conflictf(format string, a ...any) error {
	return &ConflictError{Msg: fmt.Sprintf(format, a...)}
}
