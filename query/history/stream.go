package history

import (
	"context"
	"fmt"
	"time"

	"github.com/loupe-dev/loupe/api/flow"
	"github.com/loupe-dev/loupe/query/rows"
)

// run streams the flows of st to fn until fn returns false or an error.
func (h *History) run(ctx context.Context, st statement, fn func(*flow.Flow) (bool, error)) error {
	start := time.Now()
	// Canceling before Close stops the server: Close alone would read the
	// rest of the answer.
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	rs, err := h.conn.Query(ctx, st.sql, st.args...)
	if err != nil {
		return fmt.Errorf("query flows: %w", err)
	}
	defer func() {
		cancel()
		rs.Close()
	}()
	sc := rows.NewScanner()
	var read int
	for rs.Next() {
		// Rows arrive in blocks: a canceled context is seen here first.
		if err := ctx.Err(); err != nil {
			return err
		}
		f, err := sc.Scan(rs)
		if err != nil {
			return fmt.Errorf("scan flow: %w", err)
		}
		read++
		more, err := fn(f)
		if err != nil || !more {
			h.log.Debug("history query", "sql", st.sql, "rows", read, "took", time.Since(start))
			return err
		}
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := rs.Err(); err != nil {
		return fmt.Errorf("read flows: %w", err)
	}
	h.log.Debug("history query", "sql", st.sql, "rows", read, "took", time.Since(start))
	return nil
}
