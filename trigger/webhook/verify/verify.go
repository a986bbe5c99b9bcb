package verify

import (
	"context"
	"crypto/tls"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/weftworks/weft/trigger/webhook/verifyspec"
)

// Secret is one active secret of a credential. ID names it (it is recorded
// as the key id of a verified request); Value is the secret itself.
type Secret struct {
	ID    string
	Value []byte
}

// Request is what a verifier sees of an HTTP request.
type Request struct {
	Method string
	URL    *url.URL
	// Host is the Host header the sender used.
	Host string
	// PublicURL is the address senders call this server at (--public-url),
	// for schemes that sign the full URL (HubSpot v3); "" : built from
	// Host.
	PublicURL string
	Header    http.Header
	// Body is the raw body exactly as received.
	Body []byte
	// TLS is the connection state (nil over plain HTTP).
	TLS *tls.ConnectionState
	Now time.Time
}

// FromHTTP builds a Request from r and its already-read body.
func FromHTTP(r *http.Request, body []byte, now time.Time) *Request {
	return &Request{Method: r.Method, URL: r.URL, Host: r.Host, Header: r.Header, Body: body, TLS: r.TLS, Now: now}
}

// Result says how a request was verified.
type Result struct {
	Scheme string `json:"scheme"`
	// KeyID names the secret or key that verified the request (the
	// credential's secret id, a JWT kid, or a client certificate's subject).
	KeyID string `json:"key_id,omitempty"`
	// Subject is the authenticated principal where the scheme has one (the
	// basic user, the JWT sub, the certificate's common name).
	Subject string `json:"subject,omitempty"`
	// Timestamp is the signed timestamp, when the scheme signs one.
	Timestamp *time.Time `json:"timestamp,omitempty"`
}

// Reasons a request fails verification (stable strings for the delivery log).
const (
	ReasonMissingHeader   = "missing_header"
	ReasonDuplicateHeader = "duplicate_header"
	ReasonMalformed       = "malformed_header"
	ReasonBadSignature    = "bad_signature"
	ReasonStale           = "stale_timestamp"
	ReasonFuture          = "future_timestamp"
	ReasonNoSecret        = "no_secret"
	ReasonUnknownKey      = "unknown_key"
	ReasonBadCredentials  = "bad_credentials"
	ReasonExpired         = "token_expired"
	ReasonNotYetValid     = "token_not_yet_valid"
	ReasonAudience        = "wrong_audience"
	ReasonIssuer          = "wrong_issuer"
	ReasonAlgorithm       = "algorithm_not_allowed"
	ReasonNoClientCert    = "no_client_certificate"
	ReasonBadClientCert   = "bad_client_certificate"
	ReasonKeySource       = "key_source_unavailable"
)

// Error is a failed verification. Reason is one of the Reason constants and
// Detail a short explanation; neither ever holds a secret or a MAC.
type Error struct {
	Scheme string
	Reason string
	Detail string
}

func (e *Error) Error() string {
	if e.Detail == "" {
		return e.Scheme + ": " + e.Reason
	}
	return e.Scheme + ": " + e.Reason + ": " + e.Detail
}

func fail(scheme, reason, format string, args ...any) *Error {
	return &Error{Scheme: scheme, Reason: reason, Detail: fmt.Sprintf(format, args...)}
}

// Verifier checks one request against the active secrets.
type Verifier interface {
	Verify(ctx context.Context, r *Request, secrets []Secret) (Result, error)
}

// single returns the one value of header name. Two values are refused: a
// proxy or attacker appending a second signature header must not change
// which one is checked.
func single(scheme string, h http.Header, name string) (string, error) {
	vs := h.Values(name)
	switch {
	case len(vs) == 0 || (len(vs) == 1 && strings.TrimSpace(vs[0]) == ""):
		return "", fail(scheme, ReasonMissingHeader, "header %s is missing", name)
	case len(vs) > 1:
		return "", fail(scheme, ReasonDuplicateHeader, "header %s is sent %d times", name, len(vs))
	}
	return strings.TrimSpace(vs[0]), nil
}

// checkTimestamp enforces the tolerance in both directions.
func checkTimestamp(scheme string, ts, now time.Time, tolerance time.Duration) error {
	if tolerance <= 0 {
		tolerance = verifyspec.DefaultTolerance
	}
	switch d := now.Sub(ts); {
	case d > tolerance:
		return fail(scheme, ReasonStale, "timestamp is %s old; the tolerance is %s", d.Truncate(time.Second), tolerance)
	case -d > tolerance:
		return fail(scheme, ReasonFuture, "timestamp is %s in the future; the tolerance is %s", (-d).Truncate(time.Second), tolerance)
	}
	return nil
}

// parseUnix reads a decimal Unix timestamp in seconds.
func parseUnix(scheme, name, v string) (time.Time, error) {
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 || n > 1<<40 {
		return time.Time{}, fail(scheme, ReasonMalformed, "%s is not a Unix timestamp in seconds", name)
	}
	return time.Unix(n, 0), nil
}

func noSecret(scheme string, secrets []Secret) error {
	for _, s := range secrets {
		if len(s.Value) > 0 {
			return nil
		}
	}
	return fail(scheme, ReasonNoSecret, "the credential holds no active secret")
}
