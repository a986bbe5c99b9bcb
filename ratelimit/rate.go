package ratelimit

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Rate is N per Per.
type Rate struct {
	N   int
	Per time.Duration
}

// IsZero reports whether no rate is set.
func (r Rate) IsZero() bool { return r.N <= 0 || r.Per <= 0 }

func (r Rate) String() string {
	if r.IsZero() {
		return ""
	}
	unit := map[time.Duration]string{time.Second: "s", time.Minute: "min", time.Hour: "h", 24 * time.Hour: "day"}[r.Per]
	if unit == "" {
		unit = r.Per.String()
	}
	return fmt.Sprintf("%d/%s", r.N, unit)
}

// ParseRate reads "10/s", "600/min", "5000/h", "100000/day" or "3/10s".
// An empty string is no rate.
func ParseRate(s string) (Rate, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return Rate{}, nil
	}
	num, unit, ok := strings.Cut(s, "/")
	if !ok {
		return Rate{}, fmt.Errorf("rate %q: write it like 10/s, 600/min or 90000/min", s)
	}
	n, err := strconv.Atoi(strings.TrimSpace(num))
	if err != nil || n <= 0 {
		return Rate{}, fmt.Errorf("rate %q: the count must be a positive whole number", s)
	}
	unit = strings.TrimSpace(unit)
	var per time.Duration
	switch unit {
	case "s", "sec", "second":
		per = time.Second
	case "m", "min", "minute":
		per = time.Minute
	case "h", "hour":
		per = time.Hour
	case "d", "day":
		per = 24 * time.Hour
	default:
		d, err := time.ParseDuration(unit)
		if err != nil || d <= 0 {
			return Rate{}, fmt.Errorf("rate %q: the period must be s, min, h, day or a duration like 10s", s)
		}
		per = d
	}
	return Rate{N: n, Per: per}, nil
}

// Limits of one connection. Zero fields are not limited.
type Limits struct {
	Requests    Rate
	Concurrency int
	Tokens      Rate
}

// IsZero reports whether nothing is limited.
func (l Limits) IsZero() bool {
	return l.Requests.IsZero() && l.Tokens.IsZero() && l.Concurrency <= 0
}
