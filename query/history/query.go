package history

import (
	"github.com/loupe-dev/loupe/api/flow"
	"github.com/loupe-dev/loupe/query/rows"
	"github.com/loupe-dev/loupe/query/schema"
)

// Flows are ordered by time, then node name and id, which identify a flow:
// the order is total and an answer does not depend on how parts merged.
const (
	ascending  = "time_ns, node_name, id"
	descending = "time_ns DESC, node_name DESC, id DESC"
)

// query is a selection of flows: where and its args in SQL, and match
// where the filters need Go too.
type query struct {
	where string
	args  []any
	match func(*flow.Flow) bool
}

// statement is SQL text and its arguments.
type statement struct {
	sql  string
	args []any
}

func (q query) selectSQL(order string, limit uint64) statement {
	sql := "SELECT " + rows.ReadColumns + " FROM " + schema.FlowsTable + " WHERE " + q.where + " ORDER BY " + order
	args := q.args
	if limit > 0 {
		sql += " LIMIT ?"
		args = append(args[:len(args):len(args)], limit)
	}
	return statement{sql: sql, args: args}
}

// first selects the first n flows, or all with n zero, in time order.
func (q query) first(n uint64) statement { return q.selectSQL(ascending, n) }

// last selects the last n flows in time order: ClickHouse keeps the newest
// n and sorts them back, so that they stream in order.
func (q query) last(n uint64) statement {
	inner := q.selectSQL(descending, n)
	return statement{
		sql:  "SELECT " + rows.ReadColumns + " FROM (" + inner.sql + ") ORDER BY " + ascending,
		args: inner.args,
	}
}

// from narrows q to the flows at or after f in time order.
func (q query) from(f *flow.Flow) query {
	q.where = "(" + q.where + ") AND (time_ns, node_name, id) >= (?, ?, ?)"
	q.args = append(q.args[:len(q.args):len(q.args)], uint64(f.GetTime().AsTime().UnixNano()), f.GetNodeName(), f.GetId())
	return q
}
