package ratelimit_test

import (
	"context"
	"testing"
	"time"

	"github.com/weftworks/weft/ratelimit"
	"github.com/weftworks/weft/step"
)

type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func newLimiter(t *testing.T, lim ratelimit.Limits) (*ratelimit.Limiter, *clock) {
	t.Helper()
	c := &clock{t: time.Unix(1_700_000_000, 0)}
	l, err := ratelimit.New(ratelimit.Config{Backend: ratelimit.NewMemory(), Now: c.now,
		Limits: func(context.Context, string, string) (ratelimit.Limits, error) { return lim, nil }})
	if err != nil {
		t.Fatal(err)
	}
	return l, c
}

func acquire(t *testing.T, l *ratelimit.Limiter, ticket string) step.Grant {
	t.Helper()
	g, err := l.Acquire(context.Background(), step.LimitRequest{Connection: "c", Ticket: ticket})
	if err != nil {
		t.Fatal(err)
	}
	return g
}

func TestArrivalOrderAndWindowFromRelease(t *testing.T) {
	t.Parallel()
	l, c := newLimiter(t, ratelimit.Limits{Requests: ratelimit.Rate{N: 2, Per: time.Second}})
	g1, g2 := acquire(t, l, "a"), acquire(t, l, "b")
	if !g1.OK || !g2.OK {
		t.Fatal("the first two calls must go at once")
	}
	w3, w4 := acquire(t, l, "c"), acquire(t, l, "d")
	if w3.OK || w4.OK || !w4.RetryAt.After(w3.RetryAt) || w3.Reason != "requests" {
		t.Fatalf("over the limit: %+v %+v", w3, w4)
	}
	// A call still open holds its place in the window however long it takes.
	c.t = c.t.Add(5 * time.Second)
	if g := acquire(t, l, "c"); g.OK {
		t.Fatal("granted while both earlier calls are still open")
	}
	g1.Release()
	// The window counts from the release: not yet free right after it …
	if g := acquire(t, l, "c"); g.OK {
		t.Fatal("granted less than a window after the release")
	}
	c.t = c.t.Add(1100 * time.Millisecond)
	// … and the newcomer "e" must not overtake "c" and "d", who came first.
	if g := acquire(t, l, "e"); g.OK {
		t.Fatal("a newcomer overtook the queue")
	}
	if g := acquire(t, l, "c"); !g.OK {
		t.Fatalf("c, first in line, was not served: %+v", g)
	}
}

func TestPauseStopsEveryGrant(t *testing.T) {
	t.Parallel()
	l, c := newLimiter(t, ratelimit.Limits{}) // no limits: only a pause
	if g := acquire(t, l, "a"); !g.OK {
		t.Fatal("no limits must grant")
	}
	if err := l.Pause(context.Background(), "c", 2*time.Second); err != nil {
		t.Fatal(err)
	}
	g := acquire(t, l, "b")
	if g.OK || g.Reason != "paused" || !g.RetryAt.Equal(c.t.Add(2*time.Second)) {
		t.Fatalf("during the pause: %+v", g)
	}
	c.t = c.t.Add(2 * time.Second)
	if g := acquire(t, l, "b"); !g.OK {
		t.Fatalf("after the pause: %+v", g)
	}
}

func TestConcurrencyAndTokens(t *testing.T) {
	t.Parallel()
	l, c := newLimiter(t, ratelimit.Limits{Concurrency: 1, Tokens: ratelimit.Rate{N: 100, Per: time.Minute}})
	g, _ := l.Acquire(context.Background(), step.LimitRequest{Connection: "c", Ticket: "a", Tokens: 60})
	if !g.OK {
		t.Fatal("first call")
	}
	if g2, _ := l.Acquire(context.Background(), step.LimitRequest{Connection: "c", Ticket: "b", Tokens: 10}); g2.OK || g2.Reason != "concurrency" {
		t.Fatalf("second concurrent call: %+v", g2)
	}
	g.Release()
	if g2, _ := l.Acquire(context.Background(), step.LimitRequest{Connection: "c", Ticket: "b", Tokens: 50}); g2.OK || g2.Reason != "tokens" {
		t.Fatalf("over the token budget: %+v", g2)
	}
	c.t = c.t.Add(70 * time.Second)
	if g2, _ := l.Acquire(context.Background(), step.LimitRequest{Connection: "c", Ticket: "b", Tokens: 50}); !g2.OK {
		t.Fatalf("after the token window: %+v", g2)
	}
	for _, bad := range []string{"10", "x/s", "0/s", "5/fortnight"} {
		if _, err := ratelimit.ParseRate(bad); err == nil {
			t.Errorf("ParseRate(%q) accepted", bad)
		}
	}
	if r, err := ratelimit.ParseRate("90000/min"); err != nil || r.N != 90000 || r.Per != time.Minute {
		t.Errorf("90000/min = %+v, %v", r, err)
	}
}
