package httpapi

import (
	"fmt"
	"net/url"
	"strconv"
	"time"

	"github.com/loupe-dev/loupe/query/incident"
)

// knownParams are the query string parameters a query takes; any other is
// refused, so that a typo is not silently ignored.
var knownParams = map[string]bool{
	"since": true, "until": true, "by": true, "sort": true, "namespace": true, "workload": true, "limit": true,
}

// parseParams reads the query string. What it accepts here, the reader
// still validates against the kind (by, sort, limit, the window).
func parseParams(q url.Values, now time.Time) (incident.Params, error) {
	var p incident.Params
	for name, vs := range q {
		if !knownParams[name] {
			return p, &incident.ParamError{Param: name, Value: vs[0], Reason: "unknown parameter: want since, until, by, sort, namespace, workload or limit"}
		}
		if len(vs) > 1 {
			return p, &incident.ParamError{Param: name, Value: vs[1], Reason: "given more than once"}
		}
	}
	for _, t := range []struct {
		name string
		dst  *time.Time
	}{{"since", &p.Since}, {"until", &p.Until}} {
		if !q.Has(t.name) {
			continue
		}
		v, err := parseTime(q.Get(t.name), now)
		if err != nil {
			return p, &incident.ParamError{Param: t.name, Value: q.Get(t.name), Reason: err.Error()}
		}
		*t.dst = v
	}
	p.By, p.Sort = q.Get("by"), q.Get("sort")
	p.Namespace, p.Workload = q.Get("namespace"), q.Get("workload")
	if q.Has("limit") {
		n, err := strconv.Atoi(q.Get("limit"))
		if err != nil || n < 1 || n > incident.MaxLimit {
			return p, &incident.ParamError{Param: "limit", Value: q.Get("limit"), Reason: fmt.Sprintf("want a number from 1 to %d", incident.MaxLimit)}
		}
		p.Limit = n
	}
	return p, nil
}
