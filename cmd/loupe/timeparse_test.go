package main

import (
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestParseTime(t *testing.T) {
	now := time.Date(2026, time.March, 7, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		in   string
		want time.Time
	}{
		{"30s", now.Add(-30 * time.Second)},
		{"2h", now.Add(-2 * time.Hour)},
		{"1h30m", now.Add(-90 * time.Minute)},
		{"1d", now.Add(-24 * time.Hour)},
		{"2d12h", now.Add(-60 * time.Hour)},
		{"0d", now},
		{"now", now},
		{" 5m ", now.Add(-5 * time.Minute)},
		{"2026-03-07T09:00:00Z", time.Date(2026, 3, 7, 9, 0, 0, 0, time.UTC)},
		{"2026-03-07T09:00:00.250+02:00", time.Date(2026, 3, 7, 7, 0, 0, 250e6, time.UTC)},
		{"2026-03-07T09:00:00", time.Date(2026, 3, 7, 9, 0, 0, 0, time.Local)},
		{"2026-03-07 09:00:05", time.Date(2026, 3, 7, 9, 0, 5, 0, time.Local)},
		{"2026-03-07 09:00", time.Date(2026, 3, 7, 9, 0, 0, 0, time.Local)},
		{"2026-03-07", time.Date(2026, 3, 7, 0, 0, 0, 0, time.Local)},
	}
	for _, tt := range tests {
		got, err := parseTime(tt.in, now)
		if err != nil {
			t.Errorf("parseTime(%q): %v", tt.in, err)
			continue
		}
		if !got.Equal(tt.want) {
			t.Errorf("parseTime(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestParseTimeErrors(t *testing.T) {
	now := time.Date(2026, time.March, 7, 12, 0, 0, 0, time.UTC)
	for _, in := range []string{"", "yesterdayish", "5", "-5m", "1d-5m", "d", "1w", "999999999d", "106752d", "2026-13-01", "09:00"} {
		got, err := parseTime(in, now)
		if err == nil {
			t.Errorf("parseTime(%q) = %v, want an error", in, got)
			continue
		}
		if !errors.Is(err, errTimeSyntax) {
			t.Errorf("parseTime(%q) error %q does not explain the syntax", in, err)
		}
	}
	if diff := cmp.Diff(`want a duration before now (30s, 5m, 2h, 1d, 1d12h), "now", or a time (2006-01-02T15:04:05Z, "2006-01-02 15:04:05", 2006-01-02)`, errTimeSyntax.Error()); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}
