package history

import (
	"context"

	"github.com/loupe-dev/loupe/api/flow"
)

// When part of the filters is left to Go (sqlfilter.Where.Residual), SQL
// selects a superset and cannot count: the limit is applied here.

// firstInGo sends the first n flows that pass, or all with n zero.
func (h *History) firstInGo(ctx context.Context, q query, n uint64, send func(*flow.Flow) error) error {
	var sent uint64
	return h.run(ctx, q.first(0), func(f *flow.Flow) (bool, error) {
		if !q.match(f) {
			return true, nil
		}
		if err := send(f); err != nil {
			return false, err
		}
		sent++
		return n == 0 || sent < n, nil
	})
}

// lastInGo finds the n-th newest flow that passes, reading backwards, then
// sends from it onwards: two reads, and no more than one flow held.
func (h *History) lastInGo(ctx context.Context, q query, n uint64, send func(*flow.Flow) error) error {
	var seen uint64
	var oldest *flow.Flow
	err := h.run(ctx, q.selectSQL(descending, 0), func(f *flow.Flow) (bool, error) {
		if q.match(f) {
			if seen++; seen == n {
				oldest = f
				return false, nil
			}
		}
		return true, nil
	})
	if err != nil {
		return err
	}
	if oldest != nil {
		q = q.from(oldest)
	}
	return h.firstInGo(ctx, q, n, send)
}
