package merge

import (
	"cmp"
	"container/heap"
	"slices"

	"github.com/loupe-dev/loupe/api/observer"
)

// Newest keeps the newest n flows of many finite streams, for "the last n
// flows of the cluster": every node sends its own last n, and only the
// newest n of all of them remain. Memory stays at n flows plus the
// lost-event records, which are kept when they fall within the answer.
type Newest struct {
	n    int
	held itemHeap // the newest flows seen, oldest on top
	lost []*item
	seq  uint64
}

// NewNewest keeps the newest n flows.
func NewNewest(n int) *Newest { return &Newest{n: n} }

// Add offers one record.
func (k *Newest) Add(r *observer.GetFlowsResponse) {
	k.seq++
	it := &item{resp: r, t: timeOf(r), seq: k.seq}
	if r.GetFlow() == nil {
		k.lost = append(k.lost, it)
		return
	}
	if k.held.Len() < k.n {
		heap.Push(&k.held, it)
		return
	}
	if k.n > 0 && (it.t > k.held[0].t || it.t == k.held[0].t && it.seq > k.held[0].seq) {
		k.held[0] = it
		heap.Fix(&k.held, 0)
	}
}

// Sorted returns the newest n flows in time order, with the lost-event
// records from the oldest of them on (all of them when fewer than n flows
// were seen, since then nothing was cut).
func (k *Newest) Sorted() []*observer.GetFlowsResponse {
	items := slices.Clone(k.held)
	full := k.held.Len() == k.n && k.n > 0
	for _, l := range k.lost {
		if !full || l.t >= k.held[0].t {
			items = append(items, l)
		}
	}
	slices.SortFunc(items, func(a, b *item) int { return cmp.Or(cmp.Compare(a.t, b.t), cmp.Compare(a.seq, b.seq)) })
	out := make([]*observer.GetFlowsResponse, len(items))
	for i, it := range items {
		out[i] = it.resp
	}
	return out
}

// Flows is the number of flows kept.
func (k *Newest) Flows() int { return k.held.Len() }
