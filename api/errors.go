package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/identity"
	"github.com/weftworks/weft/internal/logbound"
	"github.com/weftworks/weft/workflow"
)

// Error is an API error with its status; handlers return it for problems
// they detect themselves (bad JSON, bad query values, unknown routes).
type Error struct {
	Status  int    `json:"-"`
	Code    string `json:"code"`
	Message string `json:"message"`
	Details any    `json:"details,omitempty"`
}

func (e *Error) Error() string { return e.Message }

// errorBody is the shape of every error response.
type errorBody struct {
	Error *Error `json:"error"`
}

// retryAfterSeconds is the Retry-After sent with 503: long enough for a full
// queue to drain a little, short enough that clients do not give up.
const retryAfterSeconds = "1"

// toError maps an error to its response. This is the only place where
// sentinel errors become status codes.
func toError(err error) *Error {
	var ae *Error
	var diags workflow.Diagnostics
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &ae):
		return ae
	case errors.As(err, &diags):
		msg := fmt.Sprintf("the workflow has %d problem(s)", len(diags))
		if len(diags) > 0 {
			msg += "; first: " + diags[0].String()
		}
		return &Error{Status: http.StatusUnprocessableEntity, Code: "invalid_workflow", Message: msg, Details: []workflow.Diagnostic(diags)}
	case errors.As(err, &tooBig):
		return tooLarge(tooBig.Limit)
	case errors.Is(err, identity.ErrForbidden):
		return &Error{Status: http.StatusForbidden, Code: "forbidden", Message: err.Error()}
	case errors.Is(err, weft.ErrNotFound):
		return &Error{Status: http.StatusNotFound, Code: "not_found", Message: err.Error()}
	case errors.Is(err, weft.ErrConflict):
		return &Error{Status: http.StatusConflict, Code: "conflict", Message: err.Error()}
	case errors.Is(err, weft.ErrInvalid):
		return &Error{Status: http.StatusUnprocessableEntity, Code: "invalid", Message: err.Error()}
	case errors.Is(err, weft.ErrOverloaded):
		return &Error{Status: http.StatusServiceUnavailable, Code: "overloaded", Message: "the server is busy; retry after a moment"}
	case errors.Is(err, context.DeadlineExceeded):
		return &Error{Status: http.StatusServiceUnavailable, Code: "timeout", Message: "the server did not answer in time; retry after a moment"}
	}
	return &Error{Status: http.StatusInternalServerError, Code: "internal", Message: "internal error; the server log has the details"}
}

func tooLarge(limit int64) *Error {
	return &Error{Status: http.StatusRequestEntityTooLarge, Code: "body_too_large",
		Message: fmt.Sprintf("request body is larger than the %s limit", formatBytes(limit))}
}

func formatBytes(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}

// writeError answers with err in the API's error shape. Internal errors are
// logged with their text and answered without it.
func writeError(w http.ResponseWriter, r *http.Request, log *slog.Logger, err error) {
	if r.Context().Err() != nil && errors.Is(err, r.Context().Err()) {
		return // the client went away; nobody reads the answer
	}
	e := toError(err)
	if e.Status >= 500 && log != nil {
		log.Error("request failed", "method", r.Method, "path", logbound.Clip(r.URL.Path, logbound.MaxString), "status", e.Status, "err", err)
	}
	if e.Status == http.StatusServiceUnavailable {
		w.Header().Set("Retry-After", retryAfterSeconds)
	}
	writeJSON(w, e.Status, errorBody{Error: e})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status = http.StatusInternalServerError
		b = []byte(`{"error":{"code":"internal","message":"internal error; the server log has the details"}}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
}

// badRequest is a 400 saying what is wrong with the request and where.
func badRequest(format string, args ...any) *Error {
	return &Error{Status: http.StatusBadRequest, Code: "bad_request", Message: fmt.Sprintf(format, args...)}
}

// invalidParam is a 422 for a query parameter with a bad value.
func invalidParam(name, format string, args ...any) *Error {
	return &Error{Status: http.StatusUnprocessableEntity, Code: "invalid_parameter",
		Message: fmt.Sprintf("query parameter %q: ", name) + fmt.Sprintf(format, args...)}
}
