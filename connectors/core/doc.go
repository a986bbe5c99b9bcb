// Package core holds the step types every workflow needs and that talk to no
// outside service: transform (shape data), respond (answer a synchronous
// webhook), fail (stop with an error), wait (sleep durably) and
// workflow.call (run another workflow as a child and wait for it).
//
// wait and workflow.call are durable: they return a step.Suspend with their
// state, the engine frees the worker, and the step runs again later with that
// state. They never recompute a deadline from the current time on a rerun,
// so a crash or a takeover does not stretch a wait.
package core
