package webhook

import (
	"context"
	"math"
	"sync"
	"time"
)

// bucket is a token bucket: rate tokens a second, up to burst.
type bucket struct {
	mu     sync.Mutex
	rate   float64
	burst  float64
	tokens float64
	last   time.Time
}

func newBucket(rate float64, burst int) *bucket {
	return &bucket{rate: rate, burst: float64(burst), tokens: float64(burst)}
}

// take takes a token, or returns how long until one is available.
func (b *bucket) take(now time.Time) (bool, time.Duration) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.last.IsZero() {
		b.tokens = math.Min(b.burst, b.tokens+now.Sub(b.last).Seconds()*b.rate)
	}
	b.last = now
	if b.tokens >= 1 {
		b.tokens--
		return true, 0
	}
	return false, time.Duration((1 - b.tokens) / b.rate * float64(time.Second))
}

// Buckets keeps token buckets shared by every process (store.RateBuckets).
type Buckets interface {
	TakeRateToken(ctx context.Context, key string, rate float64, burst int, now time.Time) (ok bool, wait time.Duration, err error)
}

// takeRate takes a token of workflow's rate limit: from the shared buckets
// when there are some, else from this process's own. A shared bucket that
// cannot be reached falls back to the local one, so a database hiccup
// loosens the limit to one per process rather than refusing every call.
func (h *Handler) takeRate(ctx context.Context, workflow string, p *armed, now time.Time) (bool, time.Duration) {
	if h.cfg.Buckets != nil {
		ok, wait, err := h.cfg.Buckets.TakeRateToken(ctx, "webhook:"+workflow, p.Rate.PerSecond, p.Rate.Burst, now)
		if err == nil {
			return ok, wait
		}
		h.cfg.Logger.Warn("shared webhook rate limit unavailable; using this process's", "workflow", workflow, "err", err)
	}
	return p.limiter.take(now)
}
