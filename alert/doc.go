// Package alert evaluates alert rules: a workflow's failures, error rate or
// p95 latency over a window, a trigger silent for too long, outbound
// deliveries failing, a connection's circuit open, an AI budget crossed.
//
// An alert fires once when its condition starts to hold, notifies again
// every `repeat` while it holds, and resolves when it clears; each of these
// runs the rule's notify workflow with {alert, state, value, threshold,
// since, kind}. Rules come from a file (`weft serve --alerts`) or from the
// API. Every process runs an Evaluator, but each alert is evaluated by one
// process at a time: the one holding its lease row in the store
// (store.Alerts), taken over when that process stops renewing it.
package alert
