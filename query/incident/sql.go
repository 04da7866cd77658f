package incident

import (
	"strings"
)

// sqlQuery builds one SELECT. Only constant SQL from this package goes
// into its text; every value from a request is a ? argument.
type sqlQuery struct {
	columns  []string
	from     string
	fromArgs []any // the arguments of a subquery in from, before the others
	conds    []string
	args     []any
	groupBy  []string
	orderBy  []string
	limit    int
}

func newQuery(from string, p Params) *sqlQuery {
	q := &sqlQuery{from: from}
	q.where("minute >= toDateTime(?) AND minute < toDateTime(?)", uint32(p.Since.Unix()), uint32(p.Until.Unix()))
	q.scope(p.Namespace, p.Workload)
	return q
}

func (q *sqlQuery) where(cond string, args ...any) *sqlQuery {
	q.conds = append(q.conds, cond)
	q.args = append(q.args, args...)
	return q
}

// scope keeps rows with either side in namespace ns and of service
// workload; empty values do not restrict.
func (q *sqlQuery) scope(ns, workload string) {
	if ns == "" && workload == "" {
		return
	}
	var conds []string
	var args []any
	for _, side := range []string{"src", "dst"} {
		var c []string
		if ns != "" {
			c = append(c, side+"_namespace = ?")
			args = append(args, ns)
		}
		if workload != "" {
			c = append(c, side+"_service = ?")
			args = append(args, workload)
		}
		conds = append(conds, "("+strings.Join(c, " AND ")+")")
	}
	q.where("("+strings.Join(conds, " OR ")+")", args...)
}

func (q *sqlQuery) String() string {
	var b strings.Builder
	b.WriteString("SELECT " + strings.Join(q.columns, ", ") + " FROM " + q.from)
	if len(q.conds) > 0 {
		b.WriteString(" WHERE " + strings.Join(q.conds, " AND "))
	}
	if len(q.groupBy) > 0 {
		b.WriteString(" GROUP BY " + strings.Join(q.groupBy, ", "))
	}
	if len(q.orderBy) > 0 {
		b.WriteString(" ORDER BY " + strings.Join(q.orderBy, ", "))
	}
	if q.limit > 0 {
		b.WriteString(" LIMIT ?")
	}
	return b.String()
}

// Args are the query's arguments, in the order of their ? marks.
func (q *sqlQuery) Args() []any {
	args := append(append([]any(nil), q.fromArgs...), q.args...)
	if q.limit > 0 {
		args = append(args, q.limit)
	}
	return args
}

// dimension is one grouping key: the SQL expression and the result
// column (and struct tag) it is read into.
type dimension struct{ expr, alias string }

func (d dimension) column() string {
	if d.expr == d.alias {
		return d.expr
	}
	return d.expr + " AS " + d.alias
}

// groupOn selects and groups by dims, and orders by them after order.
func (q *sqlQuery) groupOn(dims []dimension, order ...string) {
	q.orderBy = append(q.orderBy, order...)
	for _, d := range dims {
		q.columns = append(q.columns, d.column())
		q.groupBy = append(q.groupBy, d.alias)
		q.orderBy = append(q.orderBy, d.alias)
	}
}
