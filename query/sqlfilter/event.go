package sqlfilter

import (
	"regexp"
	"strings"

	"github.com/loupe-dev/loupe/api/flow"
	"github.com/loupe-dev/loupe/collector/filters"
)

// enumIn compares an Enum column with the names of values, which are the
// names the schema gives its Enum types (query/schema/enums.go).
func enumIn[T interface{ String() string }](col string, values []T) expr {
	names := make([]string, len(values))
	for i, v := range values {
		names[i] = v.String()
	}
	return in(col, names)
}

var eventTypeNames = map[string]flow.EventType{
	"trace":          flow.EventType_TRACE,
	"drop":           flow.EventType_DROP,
	"policy-verdict": flow.EventType_POLICY_VERDICT,
	"l7":             flow.EventType_L7,
}

// eventTypes: a type name, and for traces optionally ":<observation point>",
// in any case.
func eventTypes(values []string) expr {
	return anyOf(values, func(v string) expr {
		name, point, narrowed := strings.Cut(strings.ToLower(v), ":")
		typ := eventTypeNames[name].String()
		if !narrowed {
			return term("event_type = ?", typ)
		}
		return term("event_type = ? AND observation_point = ?", typ, observationPoint(point).String())
	})
}

func observationPoint(name string) flow.ObservationPoint {
	for n := range flow.ObservationPoint_name {
		if p := flow.ObservationPoint(n); p != flow.ObservationPoint_OBSERVATION_POINT_UNKNOWN && filters.ObservationPointName(p) == name {
			return p
		}
	}
	return flow.ObservationPoint_OBSERVATION_POINT_UNKNOWN
}

// replies: true matches replies, false the original direction.
func replies(values []bool) expr {
	return anyOf(values, func(reply bool) expr {
		if reply {
			return term("is_reply = 1")
		}
		return term("is_reply = 0")
	})
}

// nodeNames: "*" is any run of characters, matched case-insensitively
// against the whole name.
func nodeNames(values []string) (expr, bool) {
	var es []expr
	for _, v := range values {
		re, ok := re2(`^(?i:` + strings.ReplaceAll(regexp.QuoteMeta(v), `\*`, `.*`) + `)$`)
		if !ok {
			return never, false
		}
		es = append(es, term("match(node_name, ?)", re))
	}
	return or(es...), true
}

// traceIDs: 32 hex digits in any case. Lower-casing in SQL is ASCII only,
// which is all that hex digits fold with.
func traceIDs(values []string) expr {
	ids := make([]string, len(values))
	for i, v := range values {
		ids[i] = strings.ToLower(v)
	}
	return in("lower(trace_id)", ids)
}
