package logbound

import (
	"math"
	"sync"
	"time"
)

// Limiter lets through at most Rate events a second per key (a source
// address), after a burst of Burst, and at most GlobalRate a second over
// all keys together (an attacker may own many addresses). What it refuses
// is counted; Allow hands the count back at most every SummaryEvery so the
// caller can write one "suppressed N" line instead of N lines.
type Limiter struct {
	cfg LimiterConfig

	mu          sync.Mutex
	keys        map[string]*bucket
	global      bucket
	suppressed  int64
	lastSummary time.Time
}

// LimiterConfig configures a Limiter; zero fields take the defaults.
type LimiterConfig struct {
	Rate         float64       // per key, events/s (default 1)
	Burst        int           // per key (default 20)
	GlobalRate   float64       // all keys, events/s (default 50)
	GlobalBurst  int           // all keys (default 200)
	MaxKeys      int           // keys remembered; more forget them all (default 10000)
	SummaryEvery time.Duration // at most one summary this often (default 10s)
}

// NewLimiter returns a Limiter.
func NewLimiter(cfg LimiterConfig) *Limiter {
	if cfg.Rate <= 0 {
		cfg.Rate = 1
	}
	if cfg.Burst <= 0 {
		cfg.Burst = 20
	}
	if cfg.GlobalRate <= 0 {
		cfg.GlobalRate = 50
	}
	if cfg.GlobalBurst <= 0 {
		cfg.GlobalBurst = 200
	}
	if cfg.MaxKeys <= 0 {
		cfg.MaxKeys = 10000
	}
	if cfg.SummaryEvery <= 0 {
		cfg.SummaryEvery = 10 * time.Second
	}
	return &Limiter{cfg: cfg, keys: map[string]*bucket{},
		global: bucket{tokens: float64(cfg.GlobalBurst)}}
}

// Allow reports whether an event of key may be written now. suppressed is
// the number of events refused since the last summary, handed back (and
// reset) at most every SummaryEvery, only when ok: write it next to the
// event. A nil Limiter allows everything.
func (l *Limiter) Allow(key string, now time.Time) (ok bool, suppressed int64) {
	if l == nil {
		return true, 0
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.keys[key]
	if b == nil {
		if len(l.keys) >= l.cfg.MaxKeys {
			// Forgetting every key gives each a fresh burst, still bounded
			// by the global bucket.
			l.keys = map[string]*bucket{}
		}
		b = &bucket{tokens: float64(l.cfg.Burst)}
		l.keys[key] = b
	}
	b.refill(now, l.cfg.Rate, float64(l.cfg.Burst))
	l.global.refill(now, l.cfg.GlobalRate, float64(l.cfg.GlobalBurst))
	if b.tokens < 1 || l.global.tokens < 1 {
		l.suppressed++
		return false, 0
	}
	b.tokens--
	l.global.tokens--
	if l.suppressed > 0 && now.Sub(l.lastSummary) >= l.cfg.SummaryEvery {
		suppressed, l.suppressed = l.suppressed, 0
		l.lastSummary = now
	}
	return true, suppressed
}

type bucket struct {
	tokens float64
	last   time.Time
}

func (b *bucket) refill(now time.Time, rate, burst float64) {
	if !b.last.IsZero() && now.After(b.last) {
		b.tokens = math.Min(burst, b.tokens+now.Sub(b.last).Seconds()*rate)
	}
	if now.After(b.last) {
		b.last = now
	}
}
