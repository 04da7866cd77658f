package history

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/loupe-dev/loupe/api/flow"
	"github.com/loupe-dev/loupe/api/observer"
	"github.com/loupe-dev/loupe/query/sqlfilter"
	"github.com/loupe-dev/loupe/query/store"
)

// ErrInvalid matches (with errors.Is) the errors of a request that History
// refuses: bad times, and bad filters, which match filters.ErrInvalid too.
var ErrInvalid = errors.New("invalid request")

// History reads flows from the store.
type History struct {
	conn driver.Conn
	log  *slog.Logger
}

// New reads from s; log gets one debug line per query.
func New(s *store.Store, log *slog.Logger) *History {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &History{conn: s.Conn(), log: log}
}

// Flows sends, in time order, the flows of [since, until) that pass req's
// filters (req.Number and req.First apply as in GetFlows), and returns when
// done. since is req.Since; a zero until is no bound. req.Until, when set,
// bounds the window too, inclusively. Follow is ignored.
func (h *History) Flows(ctx context.Context, req *observer.GetFlowsRequest, until time.Time, send func(*flow.Flow) error) error {
	// Filters first, as the live server checks them.
	filter, err := sqlfilter.Translate(req.GetAllow(), req.GetDeny())
	if err != nil {
		return fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	w, err := newWindow(req, until)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	if w.empty() {
		return nil
	}
	where, args := w.sql()
	where = "(" + where + ") AND (" + filter.SQL + ")"
	args = append(args, filter.Args...)
	q := query{where: where, args: args, match: filter.Residual}
	n := req.GetNumber()
	switch {
	case filter.Residual != nil && n > 0 && !req.GetFirst():
		return h.lastInGo(ctx, q, n, send)
	case filter.Residual != nil:
		return h.firstInGo(ctx, q, n, send)
	case n > 0 && !req.GetFirst():
		return h.run(ctx, q.last(n), sendAll(send))
	default:
		return h.run(ctx, q.first(n), sendAll(send))
	}
}

// sendAll sends every flow.
func sendAll(send func(*flow.Flow) error) func(*flow.Flow) (bool, error) {
	return func(f *flow.Flow) (bool, error) { return true, send(f) }
}
