package ai

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"time"
)

// ErrUnsupported means the provider has no such feature (Anthropic has no
// embeddings API, for example).
var ErrUnsupported = errors.New("not supported by this provider")

// ProviderError is a failed call as the provider described it.
type ProviderError struct {
	Provider string
	Status   int    // HTTP status, 0 for network errors
	Type     string // the provider's error type, e.g. rate_limit_error, overloaded_error
	Message  string
	// RetryAfter is the wait the provider asked for (Retry-After), if any.
	RetryAfter time.Duration
	// Err is the underlying network error, if any.
	Err error
}

func (e *ProviderError) Error() string {
	switch {
	case e.Status == 0 && e.Err != nil:
		return fmt.Sprintf("%s: %v", e.Provider, e.Err)
	case e.Type != "":
		return fmt.Sprintf("%s: HTTP %d %s: %s", e.Provider, e.Status, e.Type, e.Message)
	}
	return fmt.Sprintf("%s: HTTP %d: %s", e.Provider, e.Status, e.Message)
}

func (e *ProviderError) Unwrap() error { return e.Err }

// Retryable reports whether another try (or the next fallback) may succeed:
// network errors and timeouts, 408, 409, 429, 5xx and Anthropic's 529
// overloaded_error. 400 and 401 are the caller's fault and are not retried.
func Retryable(err error) bool {
	if err == nil {
		return false
	}
	if errors.Is(err, context.Canceled) {
		return false
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return true
	}
	var pe *ProviderError
	if errors.As(err, &pe) {
		if pe.Status == 0 {
			return true
		}
		return pe.Status == http.StatusRequestTimeout || pe.Status == http.StatusConflict ||
			pe.Status == http.StatusTooManyRequests || pe.Status >= 500 || pe.Type == "overloaded_error"
	}
	var ne net.Error
	return errors.As(err, &ne)
}

// retryAfter reads a Retry-After header (seconds or an HTTP date).
func retryAfter(h http.Header, now time.Time) time.Duration {
	v := h.Get("Retry-After")
	if v == "" {
		return 0
	}
	if s, err := strconv.ParseFloat(v, 64); err == nil && s >= 0 {
		return time.Duration(s * float64(time.Second))
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}
