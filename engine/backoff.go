package engine

import (
	"math/rand/v2"
	"time"

	"github.com/weftworks/weft"
)

// maxRetryAfter caps a server-chosen Retry-After so a bogus header cannot park
// an execution for days.
const maxRetryAfter = time.Hour

// backoff returns the wait before attempt number `attempt`+1 after a
// retryable failure of attempt `attempt` (1-based): exponential with full
// jitter (a random wait between 0 and min(max, initial·2^(attempt-1))), or the
// fixed initial wait. A positive retryAfter from the remote side wins.
func backoff(p weft.RetryPolicy, attempt int, retryAfter time.Duration, rnd func(n int64) int64) time.Duration {
	if retryAfter > 0 {
		return min(retryAfter, maxRetryAfter)
	}
	initial := p.Initial.D()
	if initial <= 0 {
		initial = time.Second
	}
	ceiling := p.Max.D()
	if ceiling <= 0 {
		ceiling = 30 * time.Second
	}
	if p.Backoff == weft.BackoffFixed {
		return min(initial, ceiling)
	}
	d := initial
	for i := 1; i < attempt && d < ceiling; i++ {
		d *= 2
	}
	d = min(d, ceiling)
	if rnd == nil {
		rnd = rand.Int64N
	}
	// Full jitter; never zero so a retry storm still spreads out a little.
	return time.Duration(rnd(int64(d))) + time.Millisecond
}

// policyFor returns the retry policy of a step: its own `retry:`, else the
// defaults of the connection the failed attempt used (carried by its
// step.RetryableError), else the default.
func policyFor(s *weft.Step, connection *weft.RetryPolicy) weft.RetryPolicy {
	p := weft.DefaultRetry()
	switch {
	case s.Retry != nil && s.Retry.MaxAttempts > 0:
		p = *s.Retry
	case connection != nil && connection.MaxAttempts > 0:
		p = *connection
	}
	if p.Backoff == "" {
		p.Backoff = weft.BackoffExponential
	}
	return p
}
