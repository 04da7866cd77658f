package main

import (
	"errors"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// absoluteLayouts are the absolute times --since and --until accept; the
// ones without a zone are in the local time zone.
var absoluteLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05",
	"2006-01-02 15:04:05",
	"2006-01-02 15:04",
	"2006-01-02",
}

// daysRe splits the day count off a relative time, which time.ParseDuration
// does not know: "2d12h" is 2 days and "12h".
var daysRe = regexp.MustCompile(`^(\d+)d(.*)$`)

var errTimeSyntax = errors.New(`want a duration before now (30s, 5m, 2h, 1d, 1d12h), "now", or a time (2006-01-02T15:04:05Z, "2006-01-02 15:04:05", 2006-01-02)`)

// parseTime reads a --since or --until value: a duration before now or an
// absolute time.
func parseTime(v string, now time.Time) (time.Time, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		return time.Time{}, errTimeSyntax
	}
	if v == "now" {
		return now, nil
	}
	for _, layout := range absoluteLayouts {
		if t, err := time.ParseInLocation(layout, v, time.Local); err == nil {
			return t, nil
		}
	}
	d, err := parseAgo(v)
	if err != nil {
		return time.Time{}, err
	}
	return now.Add(-d), nil
}

// parseAgo parses a relative time as a positive duration with an optional
// leading day count.
func parseAgo(v string) (time.Duration, error) {
	var days int64
	if m := daysRe.FindStringSubmatch(v); m != nil {
		n, err := strconv.ParseInt(m[1], 10, 64)
		if err != nil || n > 106751 { // beyond that a Duration overflows
			return 0, fmt.Errorf("%w: too many days", errTimeSyntax)
		}
		days, v = n, m[2]
	}
	var d time.Duration
	if v != "" {
		var err error
		if d, err = time.ParseDuration(v); err != nil {
			return 0, errTimeSyntax
		}
		if d < 0 {
			return 0, fmt.Errorf("%w: a negative duration is in the future", errTimeSyntax)
		}
	}
	total := time.Duration(days) * 24 * time.Hour
	if d > math.MaxInt64-total {
		return 0, fmt.Errorf("%w: too long ago", errTimeSyntax)
	}
	return total + d, nil
}
