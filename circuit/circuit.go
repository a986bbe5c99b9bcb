package circuit

import (
	"errors"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/sony/gobreaker"
)

// State is a breaker's state. Its numeric value is what
// weft_circuit_breaker_state reports.
type State int

// States, in order of severity.
const (
	Closed   State = 0
	HalfOpen State = 1
	Open     State = 2
)

func (s State) String() string {
	switch s {
	case HalfOpen:
		return "half-open"
	case Open:
		return "open"
	}
	return "closed"
}

// MarshalText writes the state's name ("closed", "half-open", "open").
func (s State) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

func stateOf(s gobreaker.State) State {
	switch s {
	case gobreaker.StateHalfOpen:
		return HalfOpen
	case gobreaker.StateOpen:
		return Open
	}
	return Closed
}

// ErrOpen is returned by Do while a host's circuit is open (or its single
// half-open probe is out).
var ErrOpen = errors.New("circuit open")

// DefaultTimeout is how long an open circuit waits before a half-open probe.
const DefaultTimeout = 30 * time.Second

// Config configures Breakers.
type Config struct {
	// Timeout is how long an open circuit waits before it lets one probe
	// through (default DefaultTimeout).
	Timeout time.Duration
	// OnOpen is called each time a host's circuit opens (a counter in
	// metrics). It must not block.
	OnOpen func(host string)
	// Shared, when set, shares open circuits with every process on the
	// same database (PostgreSQL): Run records this process's openings there
	// and reads the others', so a circuit opened anywhere is open here
	// within SyncEvery.
	Shared Shared
	// SyncEvery is how often Run reads the shared open circuits (default
	// 500ms).
	SyncEvery time.Duration
	// Now returns the current time (default time.Now).
	Now func() time.Time
}

// Breakers holds one breaker per host and threshold. The zero value is not
// usable; call New.
type Breakers struct {
	cfg Config

	mu    sync.Mutex
	m     map[string]*gobreaker.CircuitBreaker // key: host#threshold
	conns map[string]map[string]bool           // connection → hosts it called through a breaker
	// remote holds the circuits other processes opened (host → until),
	// as last read from Config.Shared.
	remote map[string]time.Time
	// opened carries hosts whose circuit opened here to Run, which records
	// them in Config.Shared.
	opened chan string
}

// New builds Breakers.
func New(cfg Config) *Breakers {
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.SyncEvery <= 0 {
		cfg.SyncEvery = 500 * time.Millisecond
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Breakers{cfg: cfg, m: map[string]*gobreaker.CircuitBreaker{}, conns: map[string]map[string]bool{},
		remote: map[string]time.Time{}, opened: make(chan string, openedQueue)}
}

// Timeout is how long an open circuit stays open.
func (b *Breakers) Timeout() time.Duration { return b.cfg.Timeout }

func (b *Breakers) get(host, connection string, threshold int) *gobreaker.CircuitBreaker {
	b.mu.Lock()
	defer b.mu.Unlock()
	if connection != "" {
		if b.conns[connection] == nil {
			b.conns[connection] = map[string]bool{}
		}
		b.conns[connection][host] = true
	}
	key := host + "#" + strconv.Itoa(threshold)
	cb := b.m[key]
	if cb == nil {
		cb = gobreaker.NewCircuitBreaker(gobreaker.Settings{
			Name: host, MaxRequests: 1, Timeout: b.cfg.Timeout,
			ReadyToTrip: func(c gobreaker.Counts) bool { return int(c.ConsecutiveFailures) >= threshold },
			OnStateChange: func(name string, _, to gobreaker.State) {
				if to != gobreaker.StateOpen {
					return
				}
				if b.cfg.OnOpen != nil {
					b.cfg.OnOpen(name)
				}
				if b.cfg.Shared != nil {
					select {
					case b.opened <- name:
					default: // Run is behind; the next opening is recorded
					}
				}
			},
		})
		b.m[key] = cb
	}
	return cb
}

// Do runs call through the breaker of host that opens after threshold
// failures in a row. call reports failed for an answer that counts as a
// failure although it arrived (a 5xx); an error counts as one too. While the
// circuit is open Do returns ErrOpen without calling. connection, when not
// empty, is the connection the call belongs to (for Connection).
func (b *Breakers) Do(host, connection string, threshold int, call func() (failed bool, err error)) error {
	cb := b.get(host, connection, threshold)
	if b.openElsewhere(host) {
		return ErrOpen
	}
	var callErr error
	_, err := cb.Execute(func() (any, error) {
		failed, err := call()
		callErr = err
		switch {
		case err != nil:
			return nil, err
		case failed:
			return nil, errFailed
		}
		return nil, nil
	})
	switch {
	case errors.Is(err, gobreaker.ErrOpenState), errors.Is(err, gobreaker.ErrTooManyRequests):
		return ErrOpen
	case errors.Is(err, errFailed):
		return nil // counted; the answer is the caller's to read
	}
	return callErr
}

var errFailed = errors.New("call failed")

// States returns each host's state; where a host has breakers with several
// thresholds, the most severe.
func (b *Breakers) States() map[string]State {
	b.mu.Lock()
	cbs := make([]*gobreaker.CircuitBreaker, 0, len(b.m))
	for _, cb := range b.m {
		cbs = append(cbs, cb)
	}
	b.mu.Unlock()
	out := map[string]State{}
	now := b.cfg.Now()
	b.mu.Lock()
	for h, until := range b.remote {
		if until.After(now) {
			out[h] = Open
		}
	}
	b.mu.Unlock()
	for _, cb := range cbs {
		// State() also moves an open breaker whose timeout passed to
		// half-open, so the report is current.
		if s := stateOf(cb.State()); s >= out[cb.Name()] {
			out[cb.Name()] = s
		}
	}
	return out
}

// Connection returns the states of the hosts a connection called through a
// breaker, or nil when it called none.
func (b *Breakers) Connection(name string) map[string]State {
	b.mu.Lock()
	hosts := make([]string, 0, len(b.conns[name]))
	for h := range b.conns[name] {
		hosts = append(hosts, h)
	}
	b.mu.Unlock()
	if len(hosts) == 0 {
		return nil
	}
	slices.Sort(hosts)
	all := b.States()
	out := make(map[string]State, len(hosts))
	for _, h := range hosts {
		out[h] = all[h]
	}
	return out
}
