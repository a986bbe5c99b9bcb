package step

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"

	"github.com/weftworks/weft"
)

// Connections is everything a connector may ask of a named connection (a
// credential and its settings): the credential itself, the settings that
// shape a call, the HTTP client that reaches it, and the reports that keep
// its status and tokens fresh. It is an explicit field of Env, never found
// by type assertion: a wrapper in between would silently turn it off.
// credential.Vault implements it.
type Connections interface {
	Credentials
	// Settings returns what a call through the connection must respect,
	// after checking that workflow may use it.
	Settings(ctx context.Context, workflow, name string) (ConnectionSettings, error)
	// Client returns the client calls through the connection use: base, or
	// a client built on base whose transport presents the connection's
	// client certificate and trusts its CA (mtls) and may reach its
	// allow_private_net prefixes. Redirect rules and timeouts of base are
	// kept.
	Client(ctx context.Context, workflow, name string, base *http.Client) (*http.Client, error)
	// Invalidate drops a cached token of the credential (after a 401), so
	// the next call fetches a fresh one.
	Invalidate(ctx context.Context, workflow, name string)
	// Report records the outcome of a call made with the connection (nil:
	// it succeeded), for its status.
	Report(name string, err error)
	// Dialer returns what opens TCP connections to the connection's server
	// (a database, a broker) after checking that workflow may use it: the
	// SSRF guard with the connection's allow_private_net, and only to its
	// allowed hosts. Connectors that speak a protocol other than HTTP dial
	// through it, never with a net.Dialer of their own.
	Dialer(ctx context.Context, workflow, name string) (DialFunc, error)
}

// DialFunc opens a network connection, like net.Dialer.DialContext.
type DialFunc func(ctx context.Context, network, addr string) (net.Conn, error)

// ErrNoDialer is returned by Connections that cannot reach a network server
// on a connection's behalf (CredentialsOnly).
var ErrNoDialer = errors.New("no network dialer for connections: this Weft has no credential vault")

// ConnectionSettings are the parts of a connection's stored settings that
// shape a call.
type ConnectionSettings struct {
	// Retry is the connection's retry policy, or nil when it sets none.
	// The step's own `retry:` always wins.
	Retry *weft.RetryPolicy
	// IdempotencyHeader carries the step run's stable key on methods that
	// are not idempotent, which makes them safe to retry ("" : the
	// connector's default).
	IdempotencyHeader string
	// Breaker opens the circuit to a host after this many consecutive
	// failures (0: no breaker).
	Breaker int
	// BaseURL replaces an app connector's base URL (GitHub Enterprise, a
	// sandbox, a test fake); "" keeps the app's.
	BaseURL string
	// TokenFields are the non-secret fields of the connection's last token
	// response (Salesforce instance_url), kept across refreshes; nil when
	// the credential has no token.
	TokenFields map[string]string
}

// CredentialsOnly lends c as Connections that keep no settings: no retry
// defaults, the base client, nothing to invalidate or report. It suits
// fixed credentials in tests and embedders without a vault.
func CredentialsOnly(c Credentials) Connections {
	if c == nil {
		return nil
	}
	return credentialsOnly{c}
}

type credentialsOnly struct{ Credentials }

var _ Connections = credentialsOnly{}

func (credentialsOnly) Settings(context.Context, string, string) (ConnectionSettings, error) {
	return ConnectionSettings{}, nil
}

func (credentialsOnly) Client(_ context.Context, _, _ string, base *http.Client) (*http.Client, error) {
	return base, nil
}

// Dialer refuses: without a vault there is no connection setting that could
// open the SSRF guard, and an unguarded dialer would bypass it.
func (credentialsOnly) Dialer(_ context.Context, _, name string) (DialFunc, error) {
	return nil, fmt.Errorf("connection %q: %w", name, ErrNoDialer)
}

func (credentialsOnly) Invalidate(context.Context, string, string) {}
func (credentialsOnly) Report(string, error)                       {}

// WithConnectionRetry attaches the retry defaults of connection to a
// retryable err, so a step without `retry:` inherits its connection's
// manners. It is a no-op without a connection, for other errors and without
// Env.Connections; a failed lookup leaves err as it is (the step's own
// policy, or the default, then applies).
func WithConnectionRetry(ctx context.Context, req *Request, connection string, err error) error {
	if connection == "" || req == nil || req.Env == nil || req.Env.Connections == nil {
		return err
	}
	if ok, _ := IsRetryable(err); !ok {
		return err
	}
	s, lerr := req.Env.Connections.Settings(ctx, req.Workflow, connection)
	if lerr != nil {
		return err
	}
	return WithRetryDefaults(err, s.Retry)
}
