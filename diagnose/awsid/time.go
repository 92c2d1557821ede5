package awsid

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// ParseTime reads a --since or --until value: an RFC 3339 time, a date
// (2006-01-02, UTC), or a duration back from now such as 7d, 36h, 90m, 2w
// or 1h30m. A date given as an end (end true) means the end of that day, so
// "--until 2024-05-01" includes all of May 1. Every command reads its time
// flags with this one grammar.
func ParseTime(s string, now time.Time, end bool) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, fmt.Errorf("empty time")
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t.UTC(), nil
	}
	if t, err := time.Parse("2006-01-02", s); err == nil {
		if end {
			t = t.AddDate(0, 0, 1)
		}
		return t, nil
	}
	if d, ok := parseAgo(s); ok {
		return now.Add(-d).UTC(), nil
	}
	return time.Time{}, fmt.Errorf("cannot read %q as a time: use RFC 3339 (2024-05-01T10:00:00Z), a date (2024-05-01) or a duration back from now (7d, 36h, 90m)", s)
}

func parseAgo(s string) (time.Duration, bool) {
	for unit, d := range map[string]time.Duration{"d": 24 * time.Hour, "w": 7 * 24 * time.Hour} {
		if n, ok := strings.CutSuffix(s, unit); ok {
			v, err := strconv.ParseFloat(n, 64)
			if err != nil || v < 0 || math.IsNaN(v) || math.IsInf(v, 0) || v*float64(d) > math.MaxInt64 {
				return 0, false
			}
			return time.Duration(v * float64(d)), true
		}
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return 0, false
	}
	return d, true
}
