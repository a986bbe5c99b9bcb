package step

import (
	"context"
	"time"
)

// Limiter queues steps behind the rate limits of a connection (a named
// credential with `limits:`): requests per period, concurrent requests and,
// for AI providers, tokens per period. It never blocks: a step over the limit
// gets a time to come back and returns Wait's Suspend, which parks the
// execution as `waiting` and frees the worker. Waiters are served in arrival
// order.
//
// Use it like this from a handler (the ticket must be stable across
// suspensions; the step's IdempotencyKey is):
//
//	g, err := req.Env.Limiter.Acquire(ctx, step.LimitRequest{
//		Workflow: req.Workflow, Connection: "openai", Ticket: req.IdempotencyKey, Tokens: estimate})
//	if err != nil {
//		return step.Result{}, err
//	}
//	if !g.OK {
//		return g.Wait(req.State), nil
//	}
//	defer g.Release()
//	… call the provider; on a 429 call req.Env.Limiter.Pause(ctx, "openai", retryAfter) …
type Limiter interface {
	// Acquire takes one request (and r.Tokens tokens) from the connection's
	// budget, or says when to try again. A connection without limits always
	// grants.
	Acquire(ctx context.Context, r LimitRequest) (Grant, error)
	// Pause stops every grant on the connection for d (a 429 with
	// Retry-After from the provider), in every process sharing the store.
	Pause(ctx context.Context, connection string, d time.Duration) error
	// Record adds tokens actually used beyond what Acquire took (AI usage
	// reported after the call) to the connection's token budget.
	Record(ctx context.Context, connection string, tokens int) error
}

// LimitRequest asks a Limiter for capacity.
type LimitRequest struct {
	Workflow   string
	Connection string
	// Ticket identifies the waiter across suspensions and keeps its place in
	// line (use Request.IdempotencyKey).
	Ticket string
	// Tokens to take from a `tokens:` limit (0 for none).
	Tokens int
}

// Grant is a Limiter's answer.
type Grant struct {
	// OK means the step may call now; call Release when the call is over
	// (it frees a `concurrency:` slot).
	OK bool
	// RetryAt is when to ask again when !OK.
	RetryAt time.Time
	// Reason says why the step waits ("requests", "concurrency", "tokens",
	// "paused", "queue") for the step run's record.
	Reason  string
	release func()
}

// NewGrant builds a granted Grant with a release function (for Limiter
// implementations).
func NewGrant(release func()) Grant { return Grant{OK: true, release: release} }

// Release frees what the grant holds. Safe on a zero Grant and more than once
// per grant holder's call (implementations make it idempotent).
func (g Grant) Release() {
	if g.release != nil {
		g.release()
	}
}

// Wait returns the Result that parks the step until RetryAt, keeping state
// (pass the request's State through so nothing is lost).
func (g Grant) Wait(state any) Result {
	return Result{Suspend: &Suspend{Until: g.RetryAt, State: state, Reason: "rate_limit:" + g.Reason}}
}
