// Package http is the http.request step type: one HTTP call with JSON, form
// or raw bodies, a response decoded by its content type, and errors sorted
// into retryable (network failures, 408, 429, 5xx, with Retry-After
// honoured) and final (other unexpected statuses).
//
// Every request that may change something (all but GET and HEAD) carries the
// step run's idempotency key in an Idempotency-Key header, so the receiving
// service can drop a repeat after a retry or a crash. Response bodies are
// bounded, and header values that look like credentials never reach an
// output or an error message.
package http
