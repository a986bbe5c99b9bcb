package http

import (
	"context"
	"errors"
	"fmt"
	nethttp "net/http"
	"strconv"
	"strings"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/connectors/internal/input"
	"github.com/weftworks/weft/step"
)

// binding is the connection a call goes through: its credential, the name
// its limits are kept under, and its settings.
type binding struct {
	credential string
	name       string // connection (limits, pause, status); "" for none
	settings   step.ConnectionSettings
	conns      step.Connections
}

func (h *requester) bind(ctx context.Context, req *step.Request, c *call) (*binding, error) {
	b := &binding{credential: c.credential, name: c.connection}
	if b.name == "" {
		b.name = b.credential
	}
	if b.name == "" {
		return b, nil
	}
	if req.Env == nil || req.Env.Connections == nil {
		return nil, step.Errorf(input.CodeValidation, "http.request: credential %q is set but this Weft has no credential vault", b.name)
	}
	b.conns = req.Env.Connections
	s, err := b.conns.Settings(ctx, req.Workflow, b.name)
	if err != nil {
		return nil, credentialError(err)
	}
	b.settings = s
	return b, nil
}

// credentialError sorts a vault error: not allowed, unknown or misconfigured
// is final; a token endpoint outage is worth another attempt.
func credentialError(err error) error {
	var temp interface{ Temporary() bool }
	switch {
	case errors.Is(err, weft.ErrInvalid), errors.Is(err, weft.ErrNotFound):
		return &step.CodedError{Code: "credential", Err: fmt.Errorf("http.request: %w", err)}
	case errors.As(err, &temp) && temp.Temporary():
		return step.Retryable(&step.CodedError{Code: "credential", Err: fmt.Errorf("http.request: %w", err)}, 0)
	}
	return &step.CodedError{Code: "credential", Err: fmt.Errorf("http.request: %w", err)}
}

// rateLimitWait reads the common rate-limit headers: the wait until the
// window resets when no request is left (RateLimit-Remaining /
// X-RateLimit-Remaining = 0), or 0.
func rateLimitWait(h nethttp.Header, now time.Time) time.Duration {
	rem := firstHeader(h, "RateLimit-Remaining", "X-RateLimit-Remaining", "X-Rate-Limit-Remaining")
	if rem == "" {
		return 0
	}
	n, err := strconv.ParseFloat(strings.TrimSpace(rem), 64)
	if err != nil || n > 0 {
		return 0
	}
	return resetWait(firstHeader(h, "RateLimit-Reset", "X-RateLimit-Reset", "X-Rate-Limit-Reset"), now)
}

// resetWait reads a reset header: seconds to wait, or a Unix time (values
// past 10^9, as GitHub sends).
func resetWait(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || f <= 0 {
		return 0
	}
	if f > 1e9 {
		d := time.Unix(int64(f), 0).Sub(now)
		return max(d, 0)
	}
	return time.Duration(f * float64(time.Second))
}

func firstHeader(h nethttp.Header, names ...string) string {
	for _, n := range names {
		if v := h.Get(n); v != "" {
			return v
		}
	}
	return ""
}
