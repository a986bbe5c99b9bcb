package ratelimit

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/weftworks/weft/step"
	"github.com/weftworks/weft/store"
)

// Backend keeps limiter states and applies changes to them atomically.
type Backend interface {
	Update(ctx context.Context, key string, fn func(*State) error) error
}

// Memory keeps states in this process (SQLite: one process owns the data).
type Memory struct {
	mu     sync.Mutex
	states map[string]*State
}

// NewMemory returns an empty in-process backend.
func NewMemory() *Memory { return &Memory{states: map[string]*State{}} }

// Update implements Backend.
func (m *Memory) Update(_ context.Context, key string, fn func(*State) error) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	s := m.states[key]
	if s == nil {
		s = &State{}
	}
	cp := *s
	cp.Sends = append([]Send(nil), s.Sends...)
	cp.Tokens = append([]TokenUse(nil), s.Tokens...)
	cp.Queue = append([]Waiter(nil), s.Queue...)
	cp.Holders = make(map[string]int64, len(s.Holders))
	for k, v := range s.Holders {
		cp.Holders[k] = v
	}
	if err := fn(&cp); err != nil {
		return err
	}
	m.states[key] = &cp
	return nil
}

// Shared keeps states in the store (PostgreSQL), shared by every process.
type Shared struct{ S store.LimiterStates }

// Update implements Backend.
func (b Shared) Update(ctx context.Context, key string, fn func(*State) error) error {
	return b.S.UpdateLimiterState(ctx, key, func(old []byte) ([]byte, error) {
		var s State
		if len(old) > 0 {
			if err := json.Unmarshal(old, &s); err != nil {
				s = State{} // a corrupt state only costs a fresh budget
			}
		}
		if err := fn(&s); err != nil {
			return nil, err
		}
		return json.Marshal(&s)
	})
}

// LimitsFunc returns the limits of a connection that workflow uses. An error
// (unknown connection, workflow not allowed) fails the step.
type LimitsFunc func(ctx context.Context, workflow, connection string) (Limits, error)

// Config configures a Limiter.
type Config struct {
	Backend Backend
	Limits  LimitsFunc
	// Registerer receives the queue metrics; nil registers none.
	Registerer prometheus.Registerer
	Now        func() time.Time
}

// Limiter implements step.Limiter.
type Limiter struct {
	cfg     Config
	depth   *prometheus.GaugeVec
	wait    *prometheus.HistogramVec
	grants  *prometheus.CounterVec
	pauses  *prometheus.CounterVec
	mu      sync.Mutex
	current map[string]Snapshot
}

var _ step.Limiter = (*Limiter)(nil)

// New builds a Limiter.
func New(cfg Config) (*Limiter, error) {
	if cfg.Backend == nil || cfg.Limits == nil {
		return nil, fmt.Errorf("ratelimit: Backend and Limits are required")
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	l := &Limiter{cfg: cfg, current: map[string]Snapshot{},
		depth: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "weft_connection_queue_depth",
			Help: "Steps waiting in line for a connection's rate limit."}, []string{"connection"}),
		wait: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "weft_connection_wait_seconds",
			Help: "Time steps waited for a connection's rate limit before their call.", Buckets: prometheus.ExponentialBuckets(0.01, 3, 12)}, []string{"connection"}),
		grants: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "weft_connection_grants_total",
			Help: "Calls granted by connection rate limits."}, []string{"connection"}),
		pauses: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "weft_connection_pauses_total",
			Help: "Times a connection was paused by a 429 from its provider."}, []string{"connection"}),
	}
	if cfg.Registerer != nil {
		for _, c := range []prometheus.Collector{l.depth, l.wait, l.grants, l.pauses} {
			if err := cfg.Registerer.Register(c); err != nil {
				return nil, fmt.Errorf("ratelimit metrics: %w", err)
			}
		}
	}
	return l, nil
}

func key(connection string) string { return "conn:" + connection }

// Acquire implements step.Limiter.
func (l *Limiter) Acquire(ctx context.Context, r step.LimitRequest) (step.Grant, error) {
	lim, err := l.cfg.Limits(ctx, r.Workflow, r.Connection)
	if err != nil {
		return step.Grant{}, err
	}
	// Even without limits the connection may be paused by a 429, so the
	// state is consulted (one small update) whenever a connection is named.
	if r.Ticket == "" {
		return step.Grant{}, fmt.Errorf("ratelimit: a ticket is required")
	}
	var d decision
	var snap Snapshot
	now := l.cfg.Now()
	err = l.cfg.Backend.Update(ctx, key(r.Connection), func(s *State) error {
		d = s.take(now, lim, r.Ticket, r.Tokens)
		snap = s.snapshot(now, lim)
		return nil
	})
	if err != nil {
		return step.Grant{}, fmt.Errorf("rate limit of connection %q: %w", r.Connection, err)
	}
	l.remember(r.Connection, snap)
	l.depth.WithLabelValues(r.Connection).Set(float64(d.depth))
	if !d.ok {
		return step.Grant{RetryAt: d.retryAt, Reason: d.reason}, nil
	}
	l.grants.WithLabelValues(r.Connection).Inc()
	l.wait.WithLabelValues(r.Connection).Observe(d.waited.Seconds())
	if lim.Concurrency <= 0 && lim.Requests.IsZero() {
		return step.NewGrant(nil), nil
	}
	var once sync.Once
	conn, ticket := r.Connection, r.Ticket
	return step.NewGrant(func() {
		once.Do(func() {
			// Release must work even after the step's context ended.
			rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
			defer cancel()
			now := l.cfg.Now()
			_ = l.cfg.Backend.Update(rctx, key(conn), func(s *State) error {
				s.release(now, ticket)
				return nil
			})
		})
	}), nil
}

// Pause implements step.Limiter.
func (l *Limiter) Pause(ctx context.Context, connection string, d time.Duration) error {
	if d <= 0 {
		return nil
	}
	until := l.cfg.Now().Add(d).UnixNano()
	l.pauses.WithLabelValues(connection).Inc()
	return l.cfg.Backend.Update(ctx, key(connection), func(s *State) error {
		s.PausedUntil = max(s.PausedUntil, until)
		return nil
	})
}

// Record implements step.Limiter.
func (l *Limiter) Record(ctx context.Context, connection string, tokens int) error {
	if tokens <= 0 {
		return nil
	}
	now := l.cfg.Now().UnixNano()
	return l.cfg.Backend.Update(ctx, key(connection), func(s *State) error {
		s.Tokens = append(s.Tokens, TokenUse{At: now, N: tokens})
		return nil
	})
}

// Snapshot is a connection's limiter state for GET /api/v1/connections.
type Snapshot struct {
	Limits      string     `json:"limits,omitempty"`
	Queued      int        `json:"queued"`
	InFlight    int        `json:"in_flight"`
	RecentCalls int        `json:"recent_calls"`
	TokensUsed  int        `json:"tokens_used,omitempty"`
	PausedUntil *time.Time `json:"paused_until,omitempty"`
}

func (s *State) snapshot(now time.Time, l Limits) Snapshot {
	out := Snapshot{Queued: len(s.Queue), InFlight: len(s.Holders), RecentCalls: len(s.Sends), TokensUsed: s.tokensUsed()}
	if s.PausedUntil > now.UnixNano() {
		t := time.Unix(0, s.PausedUntil).UTC()
		out.PausedUntil = &t
	}
	out.Limits = describe(l)
	return out
}

func describe(l Limits) string {
	s := ""
	add := func(x string) {
		if s != "" {
			s += ", "
		}
		s += x
	}
	if !l.Requests.IsZero() {
		add("requests " + l.Requests.String())
	}
	if l.Concurrency > 0 {
		add(fmt.Sprintf("concurrency %d", l.Concurrency))
	}
	if !l.Tokens.IsZero() {
		add("tokens " + l.Tokens.String())
	}
	return s
}

func (l *Limiter) remember(conn string, s Snapshot) {
	l.mu.Lock()
	l.current[conn] = s
	l.mu.Unlock()
}

// Snapshot reads a connection's current limiter state.
func (l *Limiter) Snapshot(ctx context.Context, workflow, connection string) (Snapshot, error) {
	lim, err := l.cfg.Limits(ctx, workflow, connection)
	if err != nil {
		return Snapshot{}, err
	}
	var snap Snapshot
	now := l.cfg.Now()
	err = l.cfg.Backend.Update(ctx, key(connection), func(s *State) error {
		s.prune(now, lim)
		snap = s.snapshot(now, lim)
		return nil
	})
	return snap, err
}
