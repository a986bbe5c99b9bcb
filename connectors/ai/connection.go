package ai

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/weftworks/weft/circuit"
	"github.com/weftworks/weft/step"
)

// tokenTypes are credential types whose secret is a token the vault issues
// (OAuth 2.0, signed JWT) rather than a key stored in a field: the request
// is authorized by the vault, which also drops the token after a 401.
var tokenTypes = map[string]bool{"oauth2_client_credentials": true, "oauth2_code": true, "jwt": true}

// connect resolves what a call through the target's credential needs from
// its connection: the key (or a vault that authorizes each request), the
// connection's HTTP client (its mtls certificate and allow_private_net),
// and its circuit breaker. base is wrapped, never replaced, so the AI
// transport keeps its timeouts.
func (s *Service) connect(ctx context.Context, meta Meta, t Target, ep *Endpoint) error {
	conns := meta.Connections
	if conns == nil {
		return step.Errorf("credential", "credential %q: no credential vault is configured in this process", t.Credential)
	}
	c, err := conns.Get(ctx, meta.Workflow, t.Credential)
	if err != nil {
		return step.Errorf("credential", "fetching credential %q: %v", t.Credential, err)
	}
	if k := firstNonEmpty(c.Data["api_key"], c.Data["key"], c.Data["token"]); k != "" {
		ep.APIKey = k
	} else if tokenTypes[c.Type] {
		workflow, name := meta.Workflow, t.Credential
		ep.Authorize = func(req *http.Request) error {
			if err := conns.Authorize(req.Context(), workflow, name, req); err != nil {
				return step.Errorf("credential", "credential %q: %v", name, err)
			}
			return nil
		}
	}
	if ep.BaseURL == "" {
		ep.BaseURL = c.Data["base_url"]
	}
	if org := c.Data["organization"]; org != "" {
		ep.Header = http.Header{"Openai-Organization": {org}}
	}
	client, err := conns.Client(ctx, meta.Workflow, t.Credential, ep.HTTP)
	if err != nil {
		return step.Errorf("credential", "credential %q: %v", t.Credential, err)
	}
	set, err := conns.Settings(ctx, meta.Workflow, t.Credential)
	if err != nil {
		return step.Errorf("credential", "credential %q: %v", t.Credential, err)
	}
	ep.HTTP = s.guarded(client, t.Credential, set.Breaker)
	return nil
}

// guarded returns a copy of client that refuses redirects to another host
// (a provider header such as x-api-key would follow them: Go strips only
// Authorization) and, when the connection sets a breaker, sends through the
// host's circuit breaker, shared with http.request.
func (s *Service) guarded(client *http.Client, connection string, breaker int) *http.Client {
	c := *client
	next := client.CheckRedirect
	c.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if len(via) > 0 && req.URL.Host != via[0].URL.Host {
			return fmt.Errorf("the provider redirected to another host (%s): refused, the credential is not sent there; set base_url to the final address", req.URL.Host)
		}
		if next != nil {
			return next(req, via)
		}
		return nil
	}
	if breaker > 0 && s.cfg.Breakers != nil {
		rt := client.Transport
		if rt == nil {
			rt = http.DefaultTransport
		}
		c.Transport = &breakerTransport{next: rt, breakers: s.cfg.Breakers, connection: connection, threshold: breaker}
	}
	return &c
}

// breakerTransport counts 5xx, 429 and network errors against the host's
// breaker and refuses calls while it is open. The body is left to the
// caller, so streaming is unchanged.
type breakerTransport struct {
	next       http.RoundTripper
	breakers   *circuit.Breakers
	connection string
	threshold  int
}

var _ http.RoundTripper = (*breakerTransport)(nil)

func (b *breakerTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	var resp *http.Response
	err := b.breakers.Do(req.URL.Host, b.connection, b.threshold, func() (bool, error) {
		r, err := b.next.RoundTrip(req)
		if err != nil {
			return false, err
		}
		resp = r
		return r.StatusCode >= 500 || r.StatusCode == http.StatusTooManyRequests, nil
	})
	switch {
	case errors.Is(err, circuit.ErrOpen):
		return nil, fmt.Errorf("%s: %w after %d failures in a row; trying again in %s", req.URL.Host, err, b.threshold, b.breakers.Timeout())
	case err != nil:
		return nil, err
	}
	// A counted failure (a 5xx) still arrived: the provider's error body
	// speaks for it.
	return resp, nil
}

// settle tells the connection how a provider call went: a 401 or 403 drops
// the vault's cached token (a revoked OAuth token is fetched afresh next
// time), and the outcome sets its status (GET /api/v1/connections). A call
// the caller abandoned says nothing about the connection.
func settle(ctx context.Context, meta Meta, t Target, err error) {
	if t.Credential == "" || meta.Connections == nil || errors.Is(err, ErrUnsupported) {
		return // no call was made
	}
	var pe *ProviderError
	if errors.As(err, &pe) && (pe.Status == http.StatusUnauthorized || pe.Status == http.StatusForbidden) {
		meta.Connections.Invalidate(context.WithoutCancel(ctx), meta.Workflow, t.Credential)
	}
	if err != nil && ctx.Err() != nil {
		return
	}
	meta.Connections.Report(t.Credential, err)
}
