package rows

import (
	"time"

	"github.com/loupe-dev/loupe/api/flow"
)

// field is one column's mapping: how a flow gives its value and how a
// scanned value goes back into a flow.
type field interface {
	name() string
	newColumn() column
	newDest() dest
}

// column accumulates one column of a block.
type column interface {
	add(*flow.Flow)
	values() any
	reset()
}

// dest receives one scanned value and sets it on a flow.
type dest interface {
	ptr() any
	set(*flow.Flow)
}

// codec maps a column of Go type T.
type codec[T any] struct {
	col string
	get func(*flow.Flow) T
	put func(*flow.Flow, T)
}

func (c codec[T]) name() string      { return c.col }
func (c codec[T]) newColumn() column { return &typedColumn[T]{get: c.get} }
func (c codec[T]) newDest() dest     { return &typedDest[T]{put: c.put} }

type typedColumn[T any] struct {
	get func(*flow.Flow) T
	v   []T
}

func (c *typedColumn[T]) add(f *flow.Flow) { c.v = append(c.v, c.get(f)) }
func (c *typedColumn[T]) values() any      { return c.v }
func (c *typedColumn[T]) reset()           { clear(c.v); c.v = c.v[:0] }

type typedDest[T any] struct {
	put func(*flow.Flow, T)
	v   T
}

func (d *typedDest[T]) ptr() any         { return &d.v }
func (d *typedDest[T]) set(f *flow.Flow) { d.put(f, d.v) }

func field8[T ~int32](col string, get func(*flow.Flow) T, put func(*flow.Flow, T)) field {
	return codec[int8]{col: col,
		get: func(f *flow.Flow) int8 { return int8(get(f)) },
		put: func(f *flow.Flow, v int8) { put(f, T(v)) }}
}

func field16[T ~int32](col string, get func(*flow.Flow) T, put func(*flow.Flow, T)) field {
	return codec[int16]{col: col,
		get: func(f *flow.Flow) int16 { return int16(get(f)) },
		put: func(f *flow.Flow, v int16) { put(f, T(v)) }}
}

func unixNano(ns uint64) time.Time { return time.Unix(0, int64(ns)).UTC() }
