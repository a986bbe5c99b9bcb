package step

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/weftworks/weft"
)

// Handler runs one attempt of a step.
type Handler interface {
	Run(ctx context.Context, req *Request) (Result, error)
}

// HandlerFunc adapts a function to Handler.
type HandlerFunc func(ctx context.Context, req *Request) (Result, error)

// Run calls f.
func (f HandlerFunc) Run(ctx context.Context, req *Request) (Result, error) { return f(ctx, req) }

// Request is what a handler gets for one attempt.
type Request struct {
	Workflow    string
	ExecutionID string
	StepID      string
	Item        int // weft.WholeStep, or the for_each item index
	Type        string
	// With holds the step's inputs with every expression evaluated and
	// defaults applied.
	With map[string]any
	// Attempt counts from 1.
	Attempt int
	// IdempotencyKey is stable across attempts, crashes and resumes
	// (execution id + step id + item index). Connectors pass it on, e.g. as
	// an Idempotency-Key header, so a repeated call is harmless.
	IdempotencyKey string
	// State is what the step returned in Suspend.State the last time it ran,
	// nil on the first run.
	State json.RawMessage
	Env   *Env
	// Eval evaluates a Deferred field against the step's scope plus vars
	// (e.g. {"event": …}); present is false when the step does not set the
	// field. Nil when the step type has no deferred fields.
	Eval func(ctx context.Context, field string, vars map[string]any) (v any, present bool, err error)
}

// Env holds the services a handler may use. Fields may be nil where a
// service is not configured.
type Env struct {
	HTTP      *http.Client
	Logger    *slog.Logger
	Workflows Workflows
	Now       func() time.Time
	// Connections lends named credentials and their connection settings;
	// nil when no vault is configured.
	Connections Connections
	// Limiter queues calls behind connection rate limits; nil when none is
	// configured (then every call may go at once).
	Limiter Limiter
	// Events lets a step wait for correlated events, resume URLs and
	// approval decisions, and publish events; nil when not configured.
	Events Events
	// Emit publishes progress of the running attempt (e.g. AI token deltas) to
	// the execution's live event stream. It never blocks and is never nil.
	Emit func(kind string, data any)
}

// Credentials lends steps the credentials the calling workflow may use.
type Credentials interface {
	// Get returns a credential's type and decrypted fields. It fails when the
	// credential does not exist or the workflow (or target host, where the
	// caller passes one) is not allowed to use it. Values must never be
	// logged, returned as output or put into errors.
	Get(ctx context.Context, workflow, name string) (Credential, error)
	// Authorize adds the credential's authentication to an outgoing request
	// (API key, bearer, basic, OAuth 2.0 token, signed JWT, custom headers),
	// after checking the request's host against the credential's allowed hosts.
	Authorize(ctx context.Context, workflow, name string, req *http.Request) error
}

// Credential is a resolved credential.
type Credential struct {
	Name string
	Type string
	Data map[string]string
}

// Workflows lets a step start other workflows and read their executions
// (workflow.call).
type Workflows interface {
	// Start starts workflow name with input as a child of the calling step.
	// It is idempotent on key: a second call with the same key returns the
	// first execution's id and starts nothing.
	Start(ctx context.Context, name string, input json.RawMessage, parentExecution, parentStep, key string) (string, error)
	// Get returns an execution.
	Get(ctx context.Context, id string) (weft.Execution, error)
}

// Result is a finished or suspended attempt.
type Result struct {
	// Output becomes steps.<id>.output. It must marshal to JSON.
	Output any
	// Suspend, when set, means the step is not finished: the engine records
	// State, frees the worker and runs the step again at Until (or earlier,
	// when something wakes the execution). Attempt is not increased.
	Suspend *Suspend
}

// Suspend asks the engine to run the step again later.
type Suspend struct {
	Until time.Time
	State any
	// Reason says why the step waits (recorded in the step run's history),
	// e.g. "rate_limit:requests".
	Reason string
	// Park asks the engine to free the execution's worker even when Until
	// is near (polling: thousands of pending jobs must cost rows, not
	// goroutines).
	Park bool
	// Child is the id of the child execution the step waits for
	// (workflow.call), for whoever records what the step did: ai.agent
	// keeps it on the tool call so the console links to the child.
	Child string
}

// RetryableError marks an error worth another attempt under the step's retry
// policy (network errors, 408, 429, 5xx). After, when positive, is the wait
// the remote side asked for (Retry-After) and takes precedence over backoff.
type RetryableError struct {
	Err   error
	After time.Duration
	// Defaults is the retry policy of the connection the attempt used (its
	// stored `retry` defaults), or nil. The engine applies it when the step
	// has no `retry:` of its own: the step's policy always wins.
	Defaults *weft.RetryPolicy
}

func (e *RetryableError) Error() string { return e.Err.Error() }
func (e *RetryableError) Unwrap() error { return e.Err }

// Retryable wraps err as retryable, optionally after a server-chosen wait.
func Retryable(err error, after time.Duration) error {
	if err == nil {
		return nil
	}
	return &RetryableError{Err: err, After: after}
}

// IsRetryable reports whether err asks for another attempt, and the wait the
// remote side asked for (0 if none).
func IsRetryable(err error) (bool, time.Duration) {
	var re *RetryableError
	if errors.As(err, &re) {
		return true, re.After
	}
	return false, 0
}

// WithRetryDefaults attaches a connection's retry defaults to a retryable
// err (see RetryableError.Defaults) and returns it. Other errors, a nil
// policy and an err that already carries defaults are returned unchanged.
func WithRetryDefaults(err error, p *weft.RetryPolicy) error {
	var re *RetryableError
	if p != nil && errors.As(err, &re) && re.Defaults == nil {
		re.Defaults = p
	}
	return err
}

// RetryDefaultsOf returns the connection retry defaults a retryable err
// carries, or nil.
func RetryDefaultsOf(err error) *weft.RetryPolicy {
	var re *RetryableError
	if errors.As(err, &re) {
		return re.Defaults
	}
	return nil
}

// CodedError is an error with a stable machine-readable code (recorded as
// ErrorInfo.Code), e.g. "http_status", "timeout", "validation".
type CodedError struct {
	Code string
	Err  error
}

func (e *CodedError) Error() string { return e.Err.Error() }
func (e *CodedError) Unwrap() error { return e.Err }

// Errorf returns a CodedError.
func Errorf(code, format string, args ...any) error {
	return &CodedError{Code: code, Err: fmt.Errorf(format, args...)}
}

// ErrorInfo converts an error into the record stored on a step run.
func ErrorInfo(err error) *weft.ErrorInfo {
	if err == nil {
		return nil
	}
	code := "step_error"
	var ce *CodedError
	if errors.As(err, &ce) && ce.Code != "" {
		code = ce.Code
	}
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		code = "timeout"
	case errors.Is(err, context.Canceled):
		code = "canceled"
	}
	return &weft.ErrorInfo{Code: code, Message: err.Error()}
}
