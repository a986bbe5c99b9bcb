package store

import (
	"context"
	"time"
)

// RateBuckets keeps token buckets (webhook rate limits) that every process
// sharing the database draws from, so a limit of 10/s is 10/s for the whole
// cluster.
type RateBuckets interface {
	// TakeRateToken takes one token from the bucket under key, which refills
	// at rate tokens a second up to burst (at least 1). When the bucket is
	// empty it takes nothing and returns ok=false and how long until a token
	// is due. Takes from every process are atomic with respect to each
	// other.
	TakeRateToken(ctx context.Context, key string, rate float64, burst int, now time.Time) (ok bool, wait time.Duration, err error)
}

// CircuitStates shares open circuit breakers between processes: a process
// whose breaker for a host opens records it here, and every process reads
// the open ones, so a host failing for one is skipped by all.
type CircuitStates interface {
	// OpenCircuit records that host's circuit is open until until. A later
	// until replaces an earlier one, never the reverse.
	OpenCircuit(ctx context.Context, host string, until time.Time) error
	// OpenCircuits returns the hosts whose circuit is open at now, with the
	// time each stays open.
	OpenCircuits(ctx context.Context, now time.Time) (map[string]time.Time, error)
}

// rateBucketMin is the smallest burst a bucket allows.
const rateBucketMin = 1

// RateInterval returns the emission interval and tolerance of a bucket of
// rate tokens a second up to burst, the two numbers the stores' generic
// cell rate algorithm (GCRA) keeps: a take is allowed while the bucket's
// theoretical arrival time, pushed by one interval, stays within the
// tolerance of now.
func RateInterval(rate float64, burst int) (interval, tolerance time.Duration) {
	burst = max(burst, rateBucketMin)
	interval = time.Duration(float64(time.Second) / rate)
	if interval <= 0 {
		interval = 1
	}
	return interval, time.Duration(burst) * interval
}
