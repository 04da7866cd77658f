package httpapi

import (
	"errors"
	"regexp"
	"strconv"
	"time"
)

var errTimeSyntax = errors.New(`want an RFC 3339 time (2026-03-07T09:00:00Z), "now", or a duration before now (30s, 15m, 2h, 1d, 1d12h)`)

// daysRe splits a leading day count off a duration: "1d12h" is 1 day and
// "12h".
var daysRe = regexp.MustCompile(`^(\d+)d(.*)$`)

// maxAgo bounds relative times, far beyond any retention.
const maxAgo = 3650 * 24 * time.Hour

// parseTime reads a since or until value.
func parseTime(v string, now time.Time) (time.Time, error) {
	if v == "" {
		return time.Time{}, errTimeSyntax
	}
	if v == "now" {
		return now, nil
	}
	if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
		return t, nil
	}
	var days int64
	if m := daysRe.FindStringSubmatch(v); m != nil {
		n, err := strconv.ParseInt(m[1], 10, 64)
		if err != nil || n > int64(maxAgo/(24*time.Hour)) {
			return time.Time{}, errTimeSyntax
		}
		days, v = n, m[2]
	}
	var d time.Duration
	if v != "" {
		var err error
		if d, err = time.ParseDuration(v); err != nil || d < 0 || d > maxAgo {
			return time.Time{}, errTimeSyntax
		}
	}
	ago := time.Duration(days)*24*time.Hour + d
	if ago > maxAgo {
		return time.Time{}, errTimeSyntax
	}
	return now.Add(-ago), nil
}
