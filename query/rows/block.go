package rows

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/loupe-dev/loupe/api/flow"
	"github.com/loupe-dev/loupe/query/schema"
)

// Block is a batch of flows held column by column, ready to append to an
// insert. It is reused: Reset keeps the slices' capacity.
type Block struct {
	features schema.Features
	seconds  []int64     // time on 18.16
	nanos    []uint64    // time_ns on 18.16
	times    []time.Time // time on modern servers
	cols     []column
	n        int
}

// NewBlock makes an empty block for a server with features f.
func NewBlock(f schema.Features) *Block {
	b := &Block{features: f, cols: make([]column, len(fields))}
	for i, fd := range fields {
		b.cols[i] = fd.newColumn()
	}
	return b
}

// Add appends one flow.
func (b *Block) Add(f *flow.Flow) {
	ns := f.GetTime().AsTime().UnixNano()
	if b.features.DateTime64 {
		b.times = append(b.times, time.Unix(0, ns).UTC())
	} else {
		b.seconds = append(b.seconds, ns/1e9)
		b.nanos = append(b.nanos, uint64(ns))
	}
	for _, c := range b.cols {
		c.add(f)
	}
	b.n++
}

// Len is the number of flows in the block.
func (b *Block) Len() int { return b.n }

// Reset empties the block.
func (b *Block) Reset() {
	b.seconds, b.nanos = b.seconds[:0], b.nanos[:0]
	clear(b.times)
	b.times = b.times[:0]
	for _, c := range b.cols {
		c.reset()
	}
	b.n = 0
}

// InsertQuery is the INSERT that AppendTo's batch must be prepared with.
func (b *Block) InsertQuery() string {
	return "INSERT INTO " + schema.FlowsTable + " (" + strings.Join(schema.FlowColumns.Stored(b.features), ", ") + ")"
}

// AppendTo appends the block to a batch prepared with InsertQuery, one
// column at a time.
func (b *Block) AppendTo(batch driver.Batch) error {
	i := 0
	next := func(v any) error {
		err := batch.Column(i).Append(v)
		i++
		return err
	}
	if b.features.DateTime64 {
		if err := next(b.times); err != nil {
			return fmt.Errorf("column time: %w", err)
		}
	} else {
		if err := next(b.seconds); err != nil {
			return fmt.Errorf("column time: %w", err)
		}
		if err := next(b.nanos); err != nil {
			return fmt.Errorf("column time_ns: %w", err)
		}
	}
	for k, c := range b.cols {
		if err := next(c.values()); err != nil {
			return fmt.Errorf("column %s: %w", fields[k].name(), err)
		}
	}
	return nil
}

// Preparer prepares a batch insert: clickhouse-go's driver.Conn.
type Preparer interface {
	PrepareBatch(ctx context.Context, query string, opts ...driver.PrepareBatchOption) (driver.Batch, error)
}

// Insert writes the block in one batch. Writers that must tell a bad row
// from a lost connection (the sink) use InsertQuery and AppendTo instead.
func (b *Block) Insert(ctx context.Context, db Preparer) error {
	batch, err := db.PrepareBatch(ctx, b.InsertQuery())
	if err != nil {
		return fmt.Errorf("prepare insert: %w", err)
	}
	if err := b.AppendTo(batch); err != nil {
		_ = batch.Abort()
		return err
	}
	if err := batch.Send(); err != nil {
		return fmt.Errorf("send %d flows: %w", b.Len(), err)
	}
	return nil
}
