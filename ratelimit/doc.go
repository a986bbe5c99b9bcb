// Package ratelimit queues steps behind the limits of a connection: requests
// per period, concurrent requests and tokens per period (AI providers).
//
// A Limiter never blocks a worker. Acquire either grants at once or returns
// the time to come back; the step then suspends (the execution goes
// `waiting` and the worker is freed) and asks again when it wakes. Waiters
// hold a ticket (the step's idempotency key) in a first-come queue, so they
// are served in arrival order, and a ticket whose owner never comes back
// (canceled execution) is dropped after a grace period.
//
// The state of one connection is a small document (recent grants, token
// uses, holders of concurrency slots, the queue, a pause deadline). With
// SQLite it lives in this process (Memory); with PostgreSQL it is a row
// updated under SELECT … FOR UPDATE (Store), so every process shares one
// budget. A 429 from the provider pauses the whole connection (Pause) for the
// Retry-After period.
//
// Limits are checked against a sliding window at the moment of the grant,
// with 5% headroom on the window, so that a limit of 5/s is kept at the
// provider even when network latency shifts requests a little.
package ratelimit
