// Package engine is Weft's durable executor. It turns a trigger into an
// execution, runs the execution's steps as a dependency graph, records every
// step run through the store before the steps after it start, and takes over
// executions whose process died.
//
// The life of an execution:
//
//   - Start writes the execution (already leased to this process) in one
//     group-committed Apply and, when the process has room, runs it at once
//     in the same process: no queue round-trip on the hot path.
//   - The runner evaluates `if`, `for_each` and `with`, calls step handlers,
//     and records results. Results of pure steps (transform, respond, fail)
//     ride along with the next durable write; everything else is committed
//     before its dependents start. A step that must wait — a retry backoff
//     longer than InlineWait, a `wait` step, a child workflow — turns the
//     execution into a `waiting` row with a wake time and frees the worker.
//   - The scheduler loop claims executions that need a worker: queued ones,
//     waiting ones whose time has come, and ones whose lease expired because
//     their process died. Leases are renewed while an execution runs; a
//     process that loses a lease stops at once (writes are fenced by owner).
//
// The runner's files follow its responsibilities: runner.go (its state, the
// run loop and resuming), graph.go (which steps start, `if`, skips, items),
// attempts.go (one attempt and its outcome, retries), foreach.go (items),
// persist.go (durable writes), finish.go (ending, parking, stopping),
// calls.go (workflow.call: parking, wake-up, depth limit) and crash.go
// (crash quarantine).
//
// See docs/adr/0001-engine-and-queue.md for why the executions table is the
// queue.
package engine
