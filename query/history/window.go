package history

import (
	"errors"
	"fmt"
	"math"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/loupe-dev/loupe/api/observer"
)

// window is the range of time_ns to read, both ends included.
type window struct{ lo, hi uint64 }

func newWindow(req *observer.GetFlowsRequest, until time.Time) (window, error) {
	w := window{lo: 0, hi: math.MaxInt64}
	if req.GetSince() != nil {
		t, err := validTime(req.GetSince())
		if err != nil {
			return w, fmt.Errorf("since: %w", err)
		}
		w.lo = nanos(t)
	}
	if req.GetUntil() != nil {
		t, err := validTime(req.GetUntil())
		if err != nil {
			return w, fmt.Errorf("until: %w", err)
		}
		if req.GetSince() != nil && t.Before(req.GetSince().AsTime()) {
			return w, errors.New("until is before since")
		}
		w.hi = nanos(t)
	}
	if !until.IsZero() {
		// until is exclusive: a flow at until is the live buffers'.
		if u := nanos(until); u == 0 {
			w.lo, w.hi = 1, 0
		} else {
			w.hi = min(w.hi, u-1)
		}
	}
	return w, nil
}

func validTime(ts *timestamppb.Timestamp) (time.Time, error) {
	if err := ts.CheckValid(); err != nil {
		return time.Time{}, err
	}
	return ts.AsTime(), nil
}

// nanos is t in ns since the epoch, clamped to what time_ns can hold and
// time.Time can say.
func nanos(t time.Time) uint64 {
	switch {
	case t.Before(time.Unix(0, 0)):
		return 0
	case t.After(time.Unix(0, math.MaxInt64)):
		return math.MaxInt64
	}
	return uint64(t.UnixNano())
}

func (w window) empty() bool { return w.lo > w.hi }

// sql bounds time_ns exactly, and time, the partition and sort key, by
// whole seconds so that ClickHouse reads only the parts and granules of
// the window: on 18.16 time holds seconds, on current servers it is a
// DateTime64 and compares with a DateTime by instant.
func (w window) sql() (string, []any) {
	loSec, hiSec := w.lo/1e9, w.hi/1e9
	where := "time_ns >= ? AND time_ns <= ? AND time >= toDateTime(?)"
	args := []any{w.lo, w.hi, uint32(min(loSec, math.MaxUint32))}
	if hiSec <= math.MaxUint32 {
		where += " AND time <= toDateTime(?)"
		args = append(args, uint32(hiSec))
	}
	return where, args
}
