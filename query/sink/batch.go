package sink

import (
	"github.com/loupe-dev/loupe/api/flow"
	"github.com/loupe-dev/loupe/query/rows"
	"github.com/loupe-dev/loupe/query/schema"
)

// batch is one block of flows on its way to ClickHouse. The sink has two:
// while one is inserted the other fills, and each is reused.
type batch struct {
	block *rows.Block
	// first identifies the batch's first flow, to ask ClickHouse whether
	// a send that failed half way landed after all.
	firstNode string
	firstID   uint64
	firstNs   int64
	// maybeSent says an attempt failed after the data left: before a
	// resend, check whether it landed.
	maybeSent bool
}

func newBatch(f schema.Features) *batch { return &batch{block: rows.NewBlock(f)} }

func (b *batch) add(f *flow.Flow) {
	if b.block.Len() == 0 {
		b.firstNode, b.firstID, b.firstNs = f.GetNodeName(), f.GetId(), timeNs(f)
	}
	b.block.Add(f)
}

func (b *batch) len() int { return b.block.Len() }

func (b *batch) reset() {
	b.block.Reset()
	b.maybeSent = false
}
