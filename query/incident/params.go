package incident

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Params select what a query reads: a window, an optional scope and the
// grouping. Zero fields take the kind's defaults.
type Params struct {
	// Since and Until bound the window [Since, Until); zero Until is now,
	// zero Since is an hour before Until.
	Since, Until time.Time
	// Namespace and Workload scope the query to flows with either side in
	// that namespace and/or of that service.
	Namespace, Workload string
	// By is the grouping dimension, one of the kind's By list.
	By string
	// Sort is the metric ranked on, one of the kind's Sort list.
	Sort string
	// Limit caps the number of rows: 1 to MaxLimit.
	Limit int
}

// MaxLimit is the largest Limit a query takes.
const MaxLimit = 10000

// MaxScopeLen bounds Namespace and Workload.
const MaxScopeLen = 253

// ErrInvalid is what every invalid parameter error Is: the request was
// refused before reaching the database.
var ErrInvalid = errors.New("invalid query parameter")

// ParamError says which parameter was refused, and why.
type ParamError struct {
	Param, Value string
	Reason       string
}

func (e *ParamError) Error() string {
	return fmt.Sprintf("%s %q: %s", e.Param, e.Value, e.Reason)
}

// Is makes every ParamError match ErrInvalid.
func (e *ParamError) Is(target error) bool { return target == ErrInvalid }

func oneOf(values []string) string { return "want one of " + strings.Join(values, ", ") }

// resolve validates p for kind k, fills in the defaults and rounds the
// window to whole minutes.
func (p Params) resolve(k Kind, now time.Time) (Params, error) {
	if p.Until.IsZero() {
		p.Until = now
	}
	if p.Since.IsZero() {
		p.Since = p.Until.Add(-time.Hour)
	}
	if !p.Since.Before(p.Until) {
		return p, &ParamError{Param: "since", Value: p.Since.UTC().Format(time.RFC3339),
			Reason: "is not before until " + p.Until.UTC().Format(time.RFC3339)}
	}
	p.Since = p.Since.UTC().Truncate(time.Minute)
	if u := p.Until.UTC().Truncate(time.Minute); u.Before(p.Until) {
		p.Until = u.Add(time.Minute)
	} else {
		p.Until = u
	}
	if p.By == "" {
		p.By = k.DefaultBy
	}
	if len(k.By) > 0 && !slices.Contains(k.By, p.By) || len(k.By) == 0 && p.By != "" {
		return p, &ParamError{Param: "by", Value: p.By, Reason: k.byChoices()}
	}
	if p.Sort == "" && len(k.Sort) > 0 {
		p.Sort = k.Sort[0]
	}
	if len(k.Sort) > 0 && !slices.Contains(k.Sort, p.Sort) || len(k.Sort) == 0 && p.Sort != "" {
		reason := k.Name + " has no sort"
		if len(k.Sort) > 0 {
			reason = oneOf(k.Sort)
		}
		return p, &ParamError{Param: "sort", Value: p.Sort, Reason: reason}
	}
	if p.Limit == 0 {
		p.Limit = k.DefaultLimit
	}
	if p.Limit < 1 || p.Limit > MaxLimit {
		return p, &ParamError{Param: "limit", Value: fmt.Sprint(p.Limit), Reason: fmt.Sprintf("want 1 to %d", MaxLimit)}
	}
	for _, s := range []struct{ name, v string }{{"namespace", p.Namespace}, {"workload", p.Workload}} {
		if len(s.v) > MaxScopeLen {
			return p, &ParamError{Param: s.name, Value: s.v[:32] + "...", Reason: fmt.Sprintf("longer than %d bytes", MaxScopeLen)}
		}
	}
	return p, nil
}

// Window is the window a result covers, after rounding to whole minutes.
type Window struct {
	Since time.Time `json:"since"`
	Until time.Time `json:"until"`
}

func (p Params) window() Window { return Window{Since: p.Since, Until: p.Until} }
