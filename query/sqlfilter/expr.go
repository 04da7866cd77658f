package sqlfilter

import "strings"

// expr is a boolean SQL expression with one argument per ? placeholder, in
// order.
type expr struct {
	sql  string
	args []any
}

var (
	always = expr{sql: "1"}
	never  = expr{sql: "0"}
)

// term makes an expression; args must match sql's placeholders.
func term(sql string, args ...any) expr { return expr{sql: sql, args: args} }

// join combines es with op (AND, OR); empty is the identity of op.
func join(op string, identity expr, es []expr) expr {
	switch len(es) {
	case 0:
		return identity
	case 1:
		return es[0]
	}
	parts := make([]string, len(es))
	var args []any
	for i, e := range es {
		parts[i] = "(" + e.sql + ")"
		args = append(args, e.args...)
	}
	return expr{sql: strings.Join(parts, " "+op+" "), args: args}
}

// and drops the terms that are always true and is never true if one of
// them is; or likewise.
func and(es ...expr) expr { return join("AND", always, simplify(es, always, never)) }
func or(es ...expr) expr  { return join("OR", never, simplify(es, never, always)) }

func simplify(es []expr, identity, absorbing expr) []expr {
	out := es[:0:0]
	for _, e := range es {
		switch e.sql {
		case absorbing.sql:
			return []expr{absorbing}
		case identity.sql:
		default:
			out = append(out, e)
		}
	}
	return out
}

func not(e expr) expr {
	switch e.sql {
	case always.sql:
		return never
	case never.sql:
		return always
	}
	return expr{sql: "NOT (" + e.sql + ")", args: e.args}
}

// in is "col IN (?, ...)" over values.
func in[T any](col string, values []T) expr {
	if len(values) == 0 {
		return never
	}
	args := make([]any, len(values))
	for i, v := range values {
		args[i] = v
	}
	return expr{sql: col + " IN (" + placeholders(len(values)) + ")", args: args}
}

func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?, ", n), ", ")
}

// anyOf ORs one expression per value.
func anyOf[T any](values []T, fn func(T) expr) expr {
	es := make([]expr, len(values))
	for i, v := range values {
		es[i] = fn(v)
	}
	return or(es...)
}
