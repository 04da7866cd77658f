package incident

import (
	"time"

	"github.com/loupe-dev/loupe/query/schema"
)

// newEdgesQuery reads the service-map rollups over p's window: the whole
// hours from the hourly rollup, the partial hours at either end from the
// per-minute one, so that a day reads about 24 rows per edge, not 1440,
// and the sums stay exact. The two tables have the same columns in the
// same order.
func newEdgesQuery(p Params) *sqlQuery {
	first := p.Since.Truncate(time.Hour)
	if first.Before(p.Since) {
		first = first.Add(time.Hour)
	}
	last := p.Until.Truncate(time.Hour)
	if !first.Before(last) {
		return newQuery(schema.EdgesRollup.Table, p)
	}
	q := newQuery("(SELECT * FROM "+schema.EdgesHourlyRollup.Table+" WHERE minute >= toDateTime(?) AND minute < toDateTime(?)"+
		" UNION ALL SELECT * FROM "+schema.EdgesRollup.Table+
		" WHERE (minute >= toDateTime(?) AND minute < toDateTime(?)) OR (minute >= toDateTime(?) AND minute < toDateTime(?)))", p)
	q.fromArgs = []any{unix(first), unix(last), unix(p.Since), unix(first), unix(last), unix(p.Until)}
	return q
}

func unix(t time.Time) uint32 { return uint32(t.Unix()) }
