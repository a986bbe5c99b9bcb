package http

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	nethttp "net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/weftworks/weft/circuit"
	"github.com/weftworks/weft/connectors/internal/input"
	"github.com/weftworks/weft/netguard"
	"github.com/weftworks/weft/step"
)

var _ step.Handler = (*requester)(nil)

const maxRedirects = 10

// requester runs http.request.
type requester struct {
	spec     step.Spec
	fallback *nethttp.Client
	breakers *circuit.Breakers
}

// call is one request, read and checked from the step's inputs.
type call struct {
	method      string
	url         *url.URL
	header      nethttp.Header
	body        []byte
	hasBody     bool
	timeout     time.Duration
	accept      []statusRule
	follow      bool
	maxResponse int64
	credential  string
	connection  string
	breaker     int  // consecutive failures that open the host's circuit; 0: none
	idempotent  bool // safe to send twice: an idempotent method or an idempotency key
	idemHeader  string
	idemSet     bool // the step gave idempotency_header (maybe "": send none)
}

func (h *requester) Run(ctx context.Context, req *step.Request) (step.Result, error) {
	if _, polls := req.With["until"]; polls {
		return h.poll(ctx, req)
	}
	return h.once(ctx, req)
}

// once makes the request (after waiting for the connection's limits).
func (h *requester) once(ctx context.Context, req *step.Request) (step.Result, error) {
	c, err := h.read(req)
	if err != nil {
		return step.Result{}, err
	}
	b, err := h.bind(ctx, req, c)
	if err != nil {
		return step.Result{}, err
	}
	if c.breaker == 0 {
		c.breaker = b.settings.Breaker
	}
	if err := c.idempotency(req, b.settings.IdempotencyHeader); err != nil {
		return step.Result{}, err
	}
	if b.name != "" && req.Env.Limiter != nil {
		g, err := req.Env.Limiter.Acquire(ctx, step.LimitRequest{Workflow: req.Workflow, Connection: b.name, Ticket: req.IdempotencyKey})
		if err != nil {
			return step.Result{}, credentialError(err)
		}
		if !g.OK {
			return g.Wait(req.State), nil
		}
		defer g.Release()
	}
	res, err := h.exchange(ctx, req, c, b)
	if b.conns != nil {
		b.conns.Report(b.name, err)
	}
	if err != nil && !c.idempotent {
		if ok, _ := step.IsRetryable(err); ok {
			// A retry could run a POST twice: fail instead and say how to
			// make it safe.
			return step.Result{}, &step.CodedError{Code: step.ErrorInfo(err).Code, Err: fmt.Errorf("%w (not retried: %s without an idempotency key could take effect twice; set idempotency_header)", err, c.method)}
		}
	}
	// Without a `retry:` of its own the step retries under its connection's
	// defaults; the engine chooses, the connection is only known here.
	return res, step.WithRetryDefaults(err, b.settings.Retry)
}

// defaultIdempotencyHeader carries the idempotency key when neither the step
// nor its connection names a header.
const defaultIdempotencyHeader = "Idempotency-Key"

// idempotency puts the step run's stable key in the idempotency header
// (the step's idempotency_header, else its connection's, else
// Idempotency-Key) on methods other than GET and HEAD, which makes them safe
// to retry.
func (c *call) idempotency(req *step.Request, connHeader string) error {
	name, field := c.idemHeader, "idempotency_header"
	if !c.idemSet {
		name = defaultIdempotencyHeader
		if connHeader != "" {
			name, field = connHeader, "the connection's retry.idempotency_header"
		}
	}
	if name == "" || req.IdempotencyKey == "" || c.method == nethttp.MethodGet || c.method == nethttp.MethodHead {
		return nil
	}
	if !validHeaderName(name) {
		return input.Invalid("idempotency_header", "%q (%s) is not a valid header name", name, field)
	}
	if c.header.Get(name) == "" {
		c.header.Set(name, req.IdempotencyKey)
	}
	c.idempotent = true
	return nil
}

// exchange makes the call itself, once.
func (h *requester) exchange(ctx context.Context, req *step.Request, c *call, b *binding) (step.Result, error) {
	ctx, cancel := context.WithTimeoutCause(ctx, c.timeout, errRequestTimeout)
	defer cancel()

	var body io.Reader
	if c.hasBody {
		body = bytes.NewReader(c.body)
	}
	hreq, err := nethttp.NewRequestWithContext(ctx, c.method, c.url.String(), body)
	if err != nil {
		return step.Result{}, step.Errorf(input.CodeValidation, "http.request: building %s %s: %v", c.method, safeURL(c.url), err)
	}
	hreq.Header = c.header
	client := h.client(req.Env, c.follow)
	if b.credential != "" {
		if err := authorize(ctx, req, c, b, hreq, client); err != nil {
			return step.Result{}, err
		}
	}
	if b.conns != nil {
		if client, err = b.conns.Client(ctx, req.Workflow, b.name, client); err != nil {
			return step.Result{}, credentialError(err)
		}
	}
	resp, err := h.do(client, hreq, c, b.name)
	if err != nil {
		if errors.Is(err, circuit.ErrOpen) {
			wait := h.breakers.Timeout()
			return step.Result{}, step.Retryable(&step.CodedError{Code: "circuit_open", Err: fmt.Errorf("http.request: %s %s: %w after %d failures in a row; trying again in %s", c.method, safeURL(c.url), circuit.ErrOpen, c.breaker, wait)}, wait)
		}
		return step.Result{}, h.transportError(ctx, c, err)
	}
	defer resp.Body.Close()
	now := clockOf(req.Env)()
	if b.name != "" && req.Env.Limiter != nil {
		pause := rateLimitWait(resp.Header, now)
		if resp.StatusCode == nethttp.StatusTooManyRequests {
			pause = max(pause, parseRetryAfter(resp.Header.Get("Retry-After"), now))
			if pause == 0 {
				pause = time.Second
			}
		}
		if pause > 0 {
			// The whole connection waits, not just this step.
			_ = req.Env.Limiter.Pause(ctx, b.name, pause)
		}
	}
	if resp.StatusCode == nethttp.StatusUnauthorized && b.conns != nil && b.credential != "" {
		// An OAuth token may have been revoked early: drop it so the next
		// attempt fetches a fresh one.
		b.conns.Invalidate(ctx, req.Workflow, b.credential)
	}

	raw, err := readLimited(resp.Body, c.maxResponse)
	if err != nil {
		if errors.Is(err, errTooLarge) {
			return step.Result{}, step.Errorf("response_too_large", "http.request: %s %s answered %d with a body over %d bytes; raise max_response_bytes or ask for less", c.method, safeURL(c.url), resp.StatusCode, c.maxResponse)
		}
		return step.Result{}, h.transportError(ctx, c, fmt.Errorf("reading response body: %w", err))
	}
	if !accepted(c.accept, resp.StatusCode) {
		return step.Result{}, statusError(c, resp, raw, now)
	}
	return step.Result{Output: output(resp, raw)}, nil
}

// errRequestTimeout is the cause of the context when the step's own
// `timeout` ran out, as opposed to the engine ending the attempt.
var errRequestTimeout = errors.New("http.request timeout")

// transportError sorts a failed exchange: our own timeout and network
// failures are worth another attempt, while the caller's context ending (the
// engine canceling or shutting down) is final for this attempt.
func (h *requester) transportError(ctx context.Context, c *call, err error) error {
	var uerr *url.Error
	if errors.As(err, &uerr) {
		err = uerr.Err // its message repeats the URL, query secrets included
	}
	var re *redirectError
	switch {
	case errors.As(err, &re):
		return redirectRefusal(c, re)
	case errors.Is(err, netguard.ErrBlocked):
		// Refused by policy: another attempt would be refused again.
		return &step.CodedError{Code: "blocked", Err: fmt.Errorf("http.request: %s %s: %w; allow it with --allow-private-net or the connection's allow_private_net", c.method, safeURL(c.url), err)}
	case errors.Is(context.Cause(ctx), errRequestTimeout):
		return step.Retryable(fmt.Errorf("http.request: %s %s: no complete answer within %s: %w", c.method, safeURL(c.url), c.timeout, context.DeadlineExceeded), 0)
	case ctx.Err() != nil:
		return fmt.Errorf("http.request: %s %s: %w", c.method, safeURL(c.url), ctx.Err())
	}
	return step.Retryable(fmt.Errorf("http.request: %s %s: %w", c.method, safeURL(c.url), err), 0)
}

func (h *requester) client(env *step.Env, follow bool) *nethttp.Client {
	base := h.fallback
	if env != nil && env.HTTP != nil {
		base = env.HTTP
	}
	c := *base // a shallow copy shares the transport and its connection pool
	if follow {
		c.CheckRedirect = func(_ *nethttp.Request, via []*nethttp.Request) error {
			if len(via) >= maxRedirects {
				return fmt.Errorf("stopped after %d redirects", maxRedirects)
			}
			return nil
		}
	} else {
		c.CheckRedirect = func(*nethttp.Request, []*nethttp.Request) error { return nethttp.ErrUseLastResponse }
	}
	return &c
}

// read turns the step's inputs into a call, or a validation error.
func (h *requester) read(req *step.Request) (*call, error) {
	in := input.New(&h.spec, req.With)
	c := &call{header: nethttp.Header{}}
	var err error
	if c.method, err = in.String("method"); err != nil {
		return nil, err
	}
	if c.url, err = readURL(in); err != nil {
		return nil, err
	}
	if err := addQuery(in, c.url); err != nil {
		return nil, err
	}
	if err := readHeaders(in, c.header); err != nil {
		return nil, err
	}
	if err := readBody(in, c); err != nil {
		return nil, err
	}
	if c.timeout, err = in.Duration("timeout"); err != nil {
		return nil, err
	}
	if c.timeout <= 0 {
		return nil, input.Invalid("timeout", "must be more than 0s")
	}
	if c.accept, err = readAccept(in); err != nil {
		return nil, err
	}
	if c.follow, err = in.Bool("follow_redirects"); err != nil {
		return nil, err
	}
	limit, err := in.Int("max_response_bytes")
	if err != nil {
		return nil, err
	}
	if limit <= 0 || limit > maxMaxResponse {
		return nil, input.Invalid("max_response_bytes", "must be from 1 to %d", maxMaxResponse)
	}
	c.maxResponse = int64(limit)
	if c.idemHeader, err = in.String("idempotency_header"); err != nil {
		return nil, err
	}
	c.idemSet = in.Has("idempotency_header")
	switch c.method {
	case nethttp.MethodGet, nethttp.MethodHead, nethttp.MethodPut, nethttp.MethodDelete, nethttp.MethodOptions:
		c.idempotent = true // RFC 9110 §9.2.2
	}
	if c.credential, err = in.String("credential"); err != nil {
		return nil, err
	}
	if c.connection, err = in.String("connection"); err != nil {
		return nil, err
	}
	if c.breaker, err = in.Int("circuit_breaker"); err != nil {
		return nil, err
	}
	if c.header.Get("User-Agent") == "" {
		c.header.Set("User-Agent", "weft")
	}
	return c, nil
}

func readURL(in input.Reader) (*url.URL, error) {
	raw, err := in.String("url")
	if err != nil {
		return nil, err
	}
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, input.Invalid("url", "must be an absolute http:// or https:// URL")
	}
	return u, nil
}

func addQuery(in input.Reader, u *url.URL) error {
	v, ok, err := in.Value("query")
	if err != nil || !ok {
		return err
	}
	extra, err := values("query", v)
	if err != nil {
		return err
	}
	q := u.Query()
	for k, vs := range extra {
		q[k] = append(q[k], vs...)
	}
	u.RawQuery = q.Encode()
	return nil
}

// values converts an object of scalars or arrays of scalars to url.Values.
func values(field string, v any) (url.Values, error) {
	m, ok := v.(map[string]any)
	if !ok {
		return nil, input.Invalid(field, "must be an object")
	}
	out := url.Values{}
	for _, k := range input.SortedKeys(m) {
		items, isList := m[k].([]any)
		if !isList {
			items = []any{m[k]}
		}
		for _, item := range items {
			if item == nil {
				continue
			}
			s, err := input.Scalar(item)
			if err != nil {
				return nil, input.Invalid(field, "key %q must hold strings, numbers or booleans, or an array of them", k)
			}
			out.Add(k, s)
		}
	}
	return out, nil
}

func readHeaders(in input.Reader, h nethttp.Header) error {
	m, err := in.StringMap("headers")
	if err != nil {
		return err
	}
	for _, name := range input.SortedKeys(m) {
		if !validHeaderName(name) {
			return input.Invalid("headers", "%q is not a valid header name", name)
		}
		if strings.ContainsAny(m[name], "\r\n\x00") {
			// Name the header, never show the value: it may be a secret.
			return input.Invalid("headers", "value of %s holds a line break or NUL", name)
		}
		h.Set(name, m[name])
	}
	return nil
}

func readBody(in input.Reader, c *call) error {
	var given []string
	for _, f := range []string{"json", "form", "body"} {
		if in.Has(f) {
			given = append(given, f)
		}
	}
	if len(given) > 1 {
		return step.Errorf(input.CodeValidation, "http.request: give at most one of json, form and body, not %s", strings.Join(given, " and "))
	}
	if len(given) == 0 {
		return nil
	}
	c.hasBody = true
	v, _, _ := in.Value(given[0])
	switch given[0] {
	case "json":
		b, err := json.Marshal(v)
		if err != nil {
			return input.Invalid("json", "cannot be written as JSON: %v", err)
		}
		c.body = b
		setDefault(c.header, "Content-Type", "application/json")
	case "form":
		vals, err := values("form", v)
		if err != nil {
			return err
		}
		c.body = []byte(vals.Encode())
		setDefault(c.header, "Content-Type", "application/x-www-form-urlencoded")
	case "body":
		s, err := in.String("body")
		if err != nil {
			return err
		}
		c.body = []byte(s)
	}
	return nil
}

func setDefault(h nethttp.Header, name, value string) {
	if h.Get(name) == "" {
		h.Set(name, value)
	}
}

// statusRule accepts one status (code) or a class (class*100 … class*100+99).
type statusRule struct{ code, class int }

func readAccept(in input.Reader) ([]statusRule, error) {
	v, _, err := in.Value("accept_status")
	if err != nil {
		return nil, err
	}
	items, isList := v.([]any)
	if !isList {
		items = []any{v} // a lone "2xx" or 404 is forgiven
	}
	rules := make([]statusRule, 0, len(items))
	for _, item := range items {
		if s, ok := item.(string); ok && len(s) == 3 && strings.EqualFold(s[1:], "xx") && s[0] >= '1' && s[0] <= '5' {
			rules = append(rules, statusRule{class: int(s[0] - '0')})
			continue
		}
		n, ok := input.ToInt(item)
		if !ok || n < 100 || n > 599 {
			return nil, input.Invalid("accept_status", "entries must be status codes from 100 to 599 or classes like \"2xx\"")
		}
		rules = append(rules, statusRule{code: n})
	}
	return rules, nil
}

func accepted(rules []statusRule, status int) bool {
	for _, r := range rules {
		if r.code == status || (r.class != 0 && status/100 == r.class) {
			return true
		}
	}
	return false
}

// validHeaderName reports whether name is an RFC 9110 token.
func validHeaderName(name string) bool {
	if name == "" {
		return false
	}
	for _, c := range []byte(name) {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0:
		default:
			return false
		}
	}
	return true
}

// safeURL is the URL without user info and query, for error messages: both
// often hold credentials (?api_key=…).
func safeURL(u *url.URL) string {
	s := url.URL{Scheme: u.Scheme, Host: u.Host, Path: u.Path}
	if u.RawQuery != "" {
		return s.String() + "?…"
	}
	return s.String()
}

// parseRetryAfter reads Retry-After as seconds or an HTTP date.
func parseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if secs, err := strconv.Atoi(v); err == nil {
		if secs < 0 {
			return 0
		}
		return time.Duration(secs) * time.Second
	}
	if t, err := nethttp.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}

func clockOf(env *step.Env) func() time.Time {
	if env != nil && env.Now != nil {
		return env.Now
	}
	return time.Now
}

// do sends the request, through the host's circuit breaker when the step or
// its connection asks for one. Answers of 5xx and 429 count as failures.
func (h *requester) do(client *nethttp.Client, hreq *nethttp.Request, c *call, connection string) (*nethttp.Response, error) {
	if c.breaker <= 0 {
		return client.Do(hreq)
	}
	var resp *nethttp.Response
	err := h.breakers.Do(hreq.URL.Host, connection, c.breaker, func() (bool, error) {
		r, err := client.Do(hreq)
		if err != nil {
			return false, err
		}
		resp = r
		return r.StatusCode >= 500 || r.StatusCode == nethttp.StatusTooManyRequests, nil
	})
	return resp, err
}
