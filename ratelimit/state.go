package ratelimit

import (
	"slices"
	"time"
)

// headroom widens every window by 1/headroom (5%) so that jitter between
// the grant and the provider's clock does not push it over the limit.
const headroom = 20

// abandonAfter drops a waiter that has not come back this long after the
// time it was told (its execution was canceled or its process died).
const abandonAfter = 10 * time.Second

// holdTTL frees a concurrency slot whose holder never released it.
const holdTTL = 10 * time.Minute

// State is one connection's limiter state. It is JSON so that a database row
// can hold it.
type State struct {
	Sends       []Send           `json:"s,omitempty"` // recent calls
	Tokens      []TokenUse       `json:"t,omitempty"`
	Holders     map[string]int64 `json:"h,omitempty"` // ticket → expiry
	Queue       []Waiter         `json:"q,omitempty"` // arrival order
	PausedUntil int64            `json:"p,omitempty"`
}

// Send is one call in the requests window. It counts from its grant until
// it is released (its answer arrived); from then on it counts until At +
// window, with At moved to the release time. So the window is kept at the
// provider whatever the network latency: the call that follows the N-th
// one is granted a full window after that call ended, hence after it
// arrived.
type Send struct {
	Ticket string `json:"k,omitempty"`
	At     int64  `json:"a"`
	Open   bool   `json:"o,omitempty"`
}

// TokenUse is tokens taken at a time.
type TokenUse struct {
	At int64 `json:"a"`
	N  int   `json:"n"`
}

// Waiter is a ticket in line.
type Waiter struct {
	Ticket string `json:"k"`
	Since  int64  `json:"s"`
	Due    int64  `json:"d"`
}

// decision is the outcome of take.
type decision struct {
	ok      bool
	retryAt time.Time
	reason  string
	waited  time.Duration // for a grant after queueing
	depth   int
}

func window(per time.Duration) time.Duration { return per + per/headroom }

// prune drops what no longer matters at now.
func (s *State) prune(now time.Time, l Limits) {
	n := now.UnixNano()
	if !l.Requests.IsZero() {
		cut := n - int64(window(l.Requests.Per))
		s.Sends = slices.DeleteFunc(s.Sends, func(x Send) bool {
			if x.Open {
				return x.At+int64(holdTTL) <= n // its holder died
			}
			return x.At <= cut
		})
	} else {
		s.Sends = nil
	}
	if !l.Tokens.IsZero() {
		cut := n - int64(window(l.Tokens.Per))
		i := 0
		for i < len(s.Tokens) && s.Tokens[i].At <= cut {
			i++
		}
		s.Tokens = s.Tokens[i:]
	} else {
		s.Tokens = nil
	}
	for k, exp := range s.Holders {
		if exp <= n {
			delete(s.Holders, k)
		}
	}
	s.Queue = slices.DeleteFunc(s.Queue, func(w Waiter) bool { return w.Due > 0 && w.Due+int64(abandonAfter) < n })
	if s.PausedUntil <= n {
		s.PausedUntil = 0
	}
}

func (s *State) tokensUsed() int {
	sum := 0
	for _, t := range s.Tokens {
		sum += t.N
	}
	return sum
}

// nextFree is the earliest time at which one more grant of tokens fits,
// and which limit decides it.
func (s *State) nextFree(now time.Time, l Limits, tokens int) (time.Time, string) {
	at, why := now, ""
	later := func(t time.Time, reason string) {
		if t.After(at) {
			at, why = t, reason
		}
	}
	if s.PausedUntil > 0 {
		later(time.Unix(0, s.PausedUntil), "paused")
	}
	if !l.Requests.IsZero() && len(s.Sends) >= l.Requests.N {
		// len-N+1 calls must leave the window; open ones leave only after
		// their release, at an unknown time.
		var closed []int64
		for _, x := range s.Sends {
			if !x.Open {
				closed = append(closed, x.At)
			}
		}
		slices.Sort(closed)
		if need := len(s.Sends) - l.Requests.N; need < len(closed) {
			later(time.Unix(0, closed[need]).Add(window(l.Requests.Per)), "requests")
		} else {
			later(now.Add(spacing(l)), "requests")
		}
	}
	if !l.Tokens.IsZero() && tokens > 0 {
		used := s.tokensUsed()
		for i := 0; used+tokens > l.Tokens.N && i < len(s.Tokens); i++ {
			used -= s.Tokens[i].N
			later(time.Unix(0, s.Tokens[i].At).Add(window(l.Tokens.Per)), "tokens")
		}
	}
	if l.Concurrency > 0 && len(s.Holders) >= l.Concurrency {
		// Release times are unknown: look again shortly.
		later(now.Add(spacing(l)), "concurrency")
	}
	return at, why
}

// spacing is the expected gap between grants, used to place waiters behind
// each other.
func spacing(l Limits) time.Duration {
	d := 250 * time.Millisecond
	if !l.Requests.IsZero() {
		d = window(l.Requests.Per) / time.Duration(l.Requests.N)
	}
	return max(d, 10*time.Millisecond)
}

// take grants ticket tokens at now, or queues it.
func (s *State) take(now time.Time, l Limits, ticket string, tokens int) decision {
	s.prune(now, l)
	if s.Holders == nil {
		s.Holders = map[string]int64{}
	}
	pos := slices.IndexFunc(s.Queue, func(w Waiter) bool { return w.Ticket == ticket })
	ahead := pos
	if pos < 0 {
		ahead = len(s.Queue)
	}
	free, why := s.nextFree(now, l, tokens)
	if ahead == 0 && !free.After(now) {
		var waited time.Duration
		if pos == 0 {
			waited = now.Sub(time.Unix(0, s.Queue[0].Since))
			s.Queue = s.Queue[1:]
		}
		n := now.UnixNano()
		if !l.Requests.IsZero() {
			s.Sends = append(s.Sends, Send{Ticket: ticket, At: n, Open: true})
		}
		if !l.Tokens.IsZero() && tokens > 0 {
			s.Tokens = append(s.Tokens, TokenUse{At: n, N: tokens})
		}
		if l.Concurrency > 0 {
			s.Holders[ticket] = now.Add(holdTTL).UnixNano()
		}
		return decision{ok: true, waited: waited, depth: len(s.Queue)}
	}
	if why == "" {
		why = "queue"
	}
	retry := free.Add(time.Duration(ahead) * spacing(l))
	if !retry.After(now) {
		retry = now.Add(spacing(l))
	}
	w := Waiter{Ticket: ticket, Since: now.UnixNano(), Due: retry.UnixNano()}
	if pos < 0 {
		s.Queue = append(s.Queue, w)
	} else {
		s.Queue[pos].Due = w.Due
	}
	return decision{retryAt: retry, reason: why, depth: len(s.Queue)}
}

// release ends ticket's call at now: its concurrency slot is freed and its
// requests-window entry starts counting from now.
func (s *State) release(now time.Time, ticket string) {
	delete(s.Holders, ticket)
	for i := range s.Sends {
		if s.Sends[i].Ticket == ticket && s.Sends[i].Open {
			s.Sends[i].Open = false
			s.Sends[i].At = max(s.Sends[i].At, now.UnixNano())
		}
	}
}
