// Package httpcall is the HTTP exchange the protocol steps (graphql.query,
// soap.call) share: the engine's client (SSRF guard), a connection's
// client and authentication through step.Connections, a bounded body, and
// retryable errors for 408, 429 and 5xx with the server's Retry-After.
package httpcall

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/weftworks/weft/connectors/internal/input"
	"github.com/weftworks/weft/step"
)

// Response is a bounded HTTP answer.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// ErrTooLarge is returned when a body exceeds the step's bound.
var ErrTooLarge = errors.New("response too large")

// Do sends hreq with the client of connection ("" : the engine's client
// and no authentication) and reads at most maxBytes of the answer. Statuses
// 408, 425, 429 and 5xx come back as retryable errors (with Retry-After
// honoured) together with the response; other statuses are the caller's
// to judge.
func Do(ctx context.Context, req *step.Request, typ, connection string, hreq *http.Request, maxBytes int64) (*Response, error) {
	client := http.DefaultClient
	if req.Env != nil && req.Env.HTTP != nil {
		client = req.Env.HTTP
	}
	if connection != "" {
		if req.Env == nil || req.Env.Connections == nil {
			return nil, step.Errorf(input.CodeValidation, "%s: connection %q is set but this Weft has no credential vault", typ, connection)
		}
		c, err := req.Env.Connections.Client(ctx, req.Workflow, connection, client)
		if err != nil {
			return nil, &step.CodedError{Code: "credential", Err: fmt.Errorf("%s: %w", typ, err)}
		}
		client = c
		if err := req.Env.Connections.Authorize(ctx, req.Workflow, connection, hreq); err != nil {
			return nil, &step.CodedError{Code: "credential", Err: fmt.Errorf("%s: %w", typ, err)}
		}
	}
	resp, err := client.Do(hreq.WithContext(ctx))
	if err != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("%s: %w", typ, ctx.Err())
		}
		return nil, step.Retryable(fmt.Errorf("%s: %s %s: %w", typ, hreq.Method, hreq.URL.Redacted(), err), 0)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBytes+1))
	if err != nil {
		return nil, step.Retryable(fmt.Errorf("%s: reading the response: %w", typ, err), 0)
	}
	if int64(len(body)) > maxBytes {
		return nil, &step.CodedError{Code: "response_too_large", Err: fmt.Errorf("%s: the response is larger than max_response_bytes (%d): %w", typ, maxBytes, ErrTooLarge)}
	}
	out := &Response{Status: resp.StatusCode, Header: resp.Header, Body: body}
	if connection != "" && req.Env != nil && req.Env.Connections != nil {
		var rerr error
		if resp.StatusCode >= 500 || resp.StatusCode == http.StatusUnauthorized {
			rerr = fmt.Errorf("HTTP %d", resp.StatusCode)
		}
		req.Env.Connections.Report(connection, rerr)
	}
	switch s := resp.StatusCode; {
	case s == http.StatusRequestTimeout, s == http.StatusTooEarly, s == http.StatusTooManyRequests, s >= 500:
		return out, step.Retryable(&step.CodedError{Code: "http_" + strconv.Itoa(s),
			Err: fmt.Errorf("%s: %s answered %d: %s", typ, hreq.URL.Host, s, Snippet(body))}, RetryAfter(resp.Header, time.Now()))
	}
	return out, nil
}

// RetryAfter reads Retry-After (seconds or an HTTP date), or 0.
func RetryAfter(h http.Header, now time.Time) time.Duration {
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0
	}
	if n, err := strconv.Atoi(v); err == nil && n >= 0 {
		return time.Duration(n) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}

// Snippet is the start of a body for an error message.
func Snippet(b []byte) string {
	const max = 200
	s := strings.ToValidUTF8(string(b), "?")
	if len(s) > max {
		s = s[:max] + "…"
	}
	return strings.TrimSpace(s)
}
