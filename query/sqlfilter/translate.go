package sqlfilter

import (
	"github.com/loupe-dev/loupe/api/flow"
	"github.com/loupe-dev/loupe/collector/filters"
)

// Where is a request's filters as a boolean expression over the flows
// table.
type Where struct {
	// SQL has one ? placeholder per element of Args, in order.
	SQL  string
	Args []any
	// Residual is nil when SQL is exact. Otherwise SQL selects a superset
	// of the answer, and a scanned flow belongs to it only if Residual
	// passes it too.
	Residual filters.Func
}

// Translate validates allow and deny as filters.Compile does, refusing
// the same values with the same errors (and a node name that is not UTF-8,
// on which Compile panics), and translates them: a flow passes if allow is
// empty or any allow filter matches, and no deny filter matches.
func Translate(allow, deny []*flow.FlowFilter) (*Where, error) {
	if err := checkNodeNames(allow, deny); err != nil {
		return nil, err
	}
	match, err := filters.Compile(allow, deny)
	if err != nil {
		return nil, err
	}
	var inGo bool
	allowed := always
	if len(allow) > 0 {
		allowed = anyOf(allow, func(ff *flow.FlowFilter) expr {
			e, exact := filter(ff)
			inGo = inGo || !exact
			// Without the fields left to Go the filter matches more.
			return e
		})
	}
	denied := anyOf(deny, func(ff *flow.FlowFilter) expr {
		e, exact := filter(ff)
		if !exact {
			// Denying the superset would lose flows: deny none here
			// and let Residual deny them.
			inGo = true
			return never
		}
		return e
	})
	w := and(allowed, not(denied))
	out := &Where{SQL: w.sql, Args: w.args}
	if inGo {
		out.Residual = match
	}
	return out, nil
}

// filter ANDs the fields that ff sets; exact is false when some field
// was left out, to be decided in Go.
func filter(ff *flow.FlowFilter) (e expr, exact bool) {
	var parts []expr
	exact = true
	for _, field := range fields {
		part, how := field(ff)
		switch how {
		case inSQL:
			parts = append(parts, part)
		case inGo:
			exact = false
		}
	}
	return and(parts...), exact
}

// fieldKind says how a field of a filter is translated.
type fieldKind int

const (
	unset fieldKind = iota // the filter does not set the field
	inSQL                  // exactly, in SQL
	inGo                   // not in SQL: Residual decides
)

// sqlOnly wraps a field that SQL always expresses exactly.
func sqlOnly[T any](get func(*flow.FlowFilter) []T, fn func([]T) expr) func(*flow.FlowFilter) (expr, fieldKind) {
	return func(ff *flow.FlowFilter) (expr, fieldKind) {
		values := get(ff)
		if len(values) == 0 {
			return expr{}, unset
		}
		return fn(values), inSQL
	}
}

// fields translates every FlowFilter field, in protobuf field order as in
// collector/filters.
var fields = []func(*flow.FlowFilter) (expr, fieldKind){
	sqlOnly((*flow.FlowFilter).GetSourceLabel, func(v []string) expr { return selectors(src, v) }),
	sqlOnly((*flow.FlowFilter).GetDestinationLabel, func(v []string) expr { return selectors(dst, v) }),
	sqlOnly((*flow.FlowFilter).GetSourceNamespace, func(v []string) expr { return in(src.col("namespace"), v) }),
	sqlOnly((*flow.FlowFilter).GetDestinationNamespace, func(v []string) expr { return in(dst.col("namespace"), v) }),
	sqlOnly((*flow.FlowFilter).GetSourceWorkload, func(v []string) expr { return workloads(src, v) }),
	sqlOnly((*flow.FlowFilter).GetDestinationWorkload, func(v []string) expr { return workloads(dst, v) }),
	sqlOnly((*flow.FlowFilter).GetSourceIp, func(v []string) expr { return ips(src, v) }),
	sqlOnly((*flow.FlowFilter).GetDestinationIp, func(v []string) expr { return ips(dst, v) }),
	sqlOnly((*flow.FlowFilter).GetSourcePort, func(v []string) expr { return ports(src, v) }),
	sqlOnly((*flow.FlowFilter).GetDestinationPort, func(v []string) expr { return ports(dst, v) }),
	sqlOnly((*flow.FlowFilter).GetSourceIdentity, func(v []uint32) expr { return in(src.col("identity"), v) }),
	sqlOnly((*flow.FlowFilter).GetDestinationIdentity, func(v []uint32) expr { return in(dst.col("identity"), v) }),
	regexField((*flow.FlowFilter).GetSourceFqdn, func(v []string) (expr, bool) { return fqdns(src, v) }),
	regexField((*flow.FlowFilter).GetDestinationFqdn, func(v []string) (expr, bool) { return fqdns(dst, v) }),
	sqlOnly((*flow.FlowFilter).GetProtocol, protocols),
	sqlOnly((*flow.FlowFilter).GetVerdict, func(v []flow.Verdict) expr { return enumIn("verdict", v) }),
	sqlOnly((*flow.FlowFilter).GetEventType, eventTypes),
	sqlOnly((*flow.FlowFilter).GetTrafficDirection, func(v []flow.TrafficDirection) expr { return enumIn("traffic_direction", v) }),
	sqlOnly((*flow.FlowFilter).GetDropReason, func(v []flow.DropReason) expr { return enumIn("drop_reason", v) }),
	regexField((*flow.FlowFilter).GetNodeName, nodeNames),
	regexField((*flow.FlowFilter).GetHttpMethod, httpMethods),
	regexField((*flow.FlowFilter).GetHttpPath, httpPaths),
	sqlOnly((*flow.FlowFilter).GetHttpStatusCode, httpStatus),
	regexField((*flow.FlowFilter).GetHttpHeader, httpHeaders),
	regexField((*flow.FlowFilter).GetDnsQuery, dnsQueries),
	sqlOnly((*flow.FlowFilter).GetTcpFlags, tcpFlags),
	sqlOnly((*flow.FlowFilter).GetTraceId, traceIDs),
	sqlOnly((*flow.FlowFilter).GetReply, replies),
}

// regexField wraps a field matched with regular expressions, which SQL may
// not be trusted with (see re2).
func regexField(get func(*flow.FlowFilter) []string, fn func([]string) (expr, bool)) func(*flow.FlowFilter) (expr, fieldKind) {
	return func(ff *flow.FlowFilter) (expr, fieldKind) {
		values := get(ff)
		if len(values) == 0 {
			return expr{}, unset
		}
		e, ok := fn(values)
		if !ok {
			return expr{}, inGo
		}
		return e, inSQL
	}
}
