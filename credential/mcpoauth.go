package credential

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/modelcontextprotocol/go-sdk/auth"
	"github.com/modelcontextprotocol/go-sdk/oauthex"
	"golang.org/x/oauth2"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/netguard"
)

// mcpAuth is what the MCP authorization discovery of an mcp connection with
// `oauth: true` learned: the authorization server's endpoints, the resource
// the tokens are for (RFC 8707) and the client Weft registered there
// (RFC 7591) when the connection names none. It is kept sealed in the
// connection's token state, beside the tokens.
type mcpAuth struct {
	// Server is the connection's url at Connect: its tokens go to that
	// server only, so a changed url needs a new Connect.
	Server       string           `json:"server"`
	Issuer       string           `json:"issuer"`
	AuthURL      string           `json:"auth_url"`
	TokenURL     string           `json:"token_url"`
	Resource     string           `json:"resource"`
	Scopes       []string         `json:"scopes,omitempty"`
	AuthStyle    oauth2.AuthStyle `json:"auth_style,omitempty"`
	RedirectURL  string           `json:"redirect_url"`
	ClientID     string           `json:"client_id"`
	ClientSecret string           `json:"client_secret,omitempty"`
	// Registered: the client came from dynamic registration (and is reused
	// on the next Connect to the same issuer and redirect URL).
	Registered bool `json:"registered,omitempty"`
}

func mcpOAuthOn(l *loaded) bool {
	switch v := l.data["oauth"].(type) {
	case bool:
		return v
	case string:
		return v == "true"
	}
	return false
}

// mcpReconnect is the error of an mcp connection that has no usable token:
// what to do about it, in the words of the console and of the API.
func mcpReconnect(name, why string) error {
	return fmt.Errorf("mcp connection %q needs authorization (%s): press Connect on the connection in the console, or open GET /api/v1/credentials/%s/oauth/start in a browser: %w", name, why, name, weft.ErrInvalid)
}

// discoverMCP runs the discovery of the MCP authorization spec for an mcp
// connection: an unauthenticated request to the server, its 401's
// WWW-Authenticate resource_metadata (or the well-known locations),
// Protected Resource Metadata (RFC 9728), the authorization server's
// metadata (RFC 8414 or OpenID discovery), and the client: the one the
// connection names, the one registered before (prev), or a new dynamic
// registration (RFC 7591). Every request goes through the connection's
// client, which the SSRF guard watches.
func (v *Vault) discoverMCP(ctx context.Context, l *loaded, prev *mcpAuth) (*mcpAuth, error) {
	name, server := l.rec.Name, l.str("url")
	// The connection's client: the SSRF guard with the connection's own
	// private-network allowlist, if it has one.
	hc, err := v.Client(ctx, "", name, v.cfg.HTTP)
	if err != nil {
		return nil, err
	}
	var challenges []oauthex.Challenge
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, server, strings.NewReader(`{"jsonrpc":"2.0","id":0,"method":"ping"}`))
	if err != nil {
		return nil, fmt.Errorf("mcp connection %q: url: %w", name, err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	resp, err := hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("mcp connection %q: probing the server for its authorization: %w", name, err)
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
	resp.Body.Close()
	if resp.StatusCode == http.StatusUnauthorized {
		challenges, _ = oauthex.ParseWWWAuthenticate(resp.Header.Values("WWW-Authenticate"))
	}
	prm, why, err := protectedResource(ctx, hc, challenges, server)
	if err != nil {
		return nil, fmt.Errorf("mcp connection %q: %w", name, err)
	}
	a, err := v.discoverAuthServer(ctx, l, hc, challenges, prm, prev)
	if err != nil && why != "" {
		// Taken as its own authorization server for want of metadata:
		// say why, or the failure reads as the authorization server's.
		return nil, fmt.Errorf("%w (the server was taken as its own authorization server: %s)", err, why)
	}
	return a, err
}

// discoverAuthServer is the rest of discoverMCP once the protected
// resource's metadata is known: the authorization server and the client.
func (v *Vault) discoverAuthServer(ctx context.Context, l *loaded, hc *http.Client, challenges []oauthex.Challenge,
	prm *oauthex.ProtectedResourceMetadata, prev *mcpAuth) (*mcpAuth, error) {
	name, redirect := l.rec.Name, l.str("redirect_url")
	asm, err := auth.GetAuthServerMetadata(ctx, prm.AuthorizationServers[0], hc)
	if err != nil {
		return nil, fmt.Errorf("mcp connection %q: authorization server metadata of %s: %w", name, prm.AuthorizationServers[0], err)
	}
	if asm == nil {
		// The 2025-03-26 revision's fallback: fixed paths at the issuer.
		iss := strings.TrimSuffix(prm.AuthorizationServers[0], "/")
		asm = &oauthex.AuthServerMeta{Issuer: iss, AuthorizationEndpoint: iss + "/authorize",
			TokenEndpoint: iss + "/token", RegistrationEndpoint: iss + "/register"}
	}
	a := &mcpAuth{Server: l.str("url"), Issuer: asm.Issuer, AuthURL: asm.AuthorizationEndpoint, TokenURL: asm.TokenEndpoint,
		Resource: prm.Resource, RedirectURL: redirect}
	a.Scopes = splitScopes(l.str("scopes"))
	if len(a.Scopes) == 0 {
		for _, c := range challenges {
			if c.Scheme == "bearer" && c.Params["scope"] != "" {
				a.Scopes = strings.Fields(c.Params["scope"])
			}
		}
	}
	if len(a.Scopes) == 0 {
		a.Scopes = prm.ScopesSupported
	}
	if slices.Contains(asm.ScopesSupported, "offline_access") && !slices.Contains(a.Scopes, "offline_access") {
		a.Scopes = append(slices.Clone(a.Scopes), "offline_access")
	}
	switch {
	case l.str("client_id") != "":
		a.ClientID, a.ClientSecret = l.str("client_id"), l.str("client_secret")
		a.AuthStyle = tokenAuthStyle(asm.TokenEndpointAuthMethodsSupported)
	case prev != nil && prev.Registered && prev.Issuer == a.Issuer && prev.RedirectURL == redirect:
		a.ClientID, a.ClientSecret, a.AuthStyle, a.Registered = prev.ClientID, prev.ClientSecret, prev.AuthStyle, true
	case asm.RegistrationEndpoint != "":
		reg, err := oauthex.RegisterClient(ctx, asm.RegistrationEndpoint, &oauthex.ClientRegistrationMetadata{
			RedirectURIs: []string{redirect}, ClientName: "Weft", GrantTypes: []string{"authorization_code", "refresh_token"},
			ResponseTypes: []string{"code"}, TokenEndpointAuthMethod: "none", Scope: strings.Join(a.Scopes, " "),
		}, hc)
		if err != nil {
			return nil, fmt.Errorf("mcp connection %q: registering Weft at %s: %w", name, asm.RegistrationEndpoint, err)
		}
		a.ClientID, a.ClientSecret, a.Registered = reg.ClientID, reg.ClientSecret, true
		a.AuthStyle = tokenAuthStyle([]string{reg.TokenEndpointAuthMethod})
		v.red.Add(reg.ClientSecret)
	default:
		return nil, fmt.Errorf("mcp connection %q: the authorization server %s offers no dynamic client registration: give the connection a client_id (and client_secret) registered there: %w", name, a.Issuer, weft.ErrInvalid)
	}
	return a, nil
}

// protectedResource fetches the server's Protected Resource Metadata from
// the URL its challenge names, then from the well-known locations at the
// endpoint's path and at the root (the order of the MCP authorization spec).
// A server with none is its own authorization server (the spec's 2025-03-26
// revision); a location the SSRF guard refuses is an error.
//
// The second result, for a server taken as its own authorization server,
// says why no metadata was found: later errors carry it.
func protectedResource(ctx context.Context, hc *http.Client, challenges []oauthex.Challenge, server string) (*oauthex.ProtectedResourceMetadata, string, error) {
	type try struct{ url, resource string }
	var tries []try
	for _, c := range challenges {
		if u := c.Params["resource_metadata"]; u != "" {
			tries = append(tries, try{u, server})
			break
		}
	}
	su, err := url.Parse(server)
	if err != nil {
		return nil, "", fmt.Errorf("url: %w", err)
	}
	mu := *su
	mu.RawQuery, mu.Fragment = "", ""
	mu.Path = "/.well-known/oauth-protected-resource/" + strings.TrimLeft(su.Path, "/")
	tries = append(tries, try{mu.String(), server})
	root := *su
	root.Path, root.RawQuery, root.Fragment = "", "", ""
	mu.Path = "/.well-known/oauth-protected-resource"
	tries = append(tries, try{mu.String(), root.String()})
	var errs []string
	for _, tr := range tries {
		prm, err := oauthex.GetProtectedResourceMetadata(ctx, tr.url, tr.resource, hc)
		if errors.Is(err, netguard.ErrBlocked) {
			// Refused, not absent: the fallback below must not hide it.
			return nil, "", fmt.Errorf("protected resource metadata: %w", err)
		}
		if err != nil {
			errs = append(errs, err.Error())
			continue
		}
		if len(prm.AuthorizationServers) == 0 {
			return nil, "", fmt.Errorf("the protected resource metadata at %s names no authorization server", tr.url)
		}
		return prm, "", nil
	}
	why := "no protected resource metadata (RFC 9728): " + strings.Join(errs, "; ")
	if ctx.Err() != nil {
		return nil, "", fmt.Errorf("%s: %w", why, ctx.Err())
	}
	// The 2025-03-26 revision of the spec: without metadata, the server's
	// origin is its authorization server.
	return &oauthex.ProtectedResourceMetadata{Resource: server, AuthorizationServers: []string{root.String()}}, why, nil
}

// tokenAuthStyle picks how the client authenticates at the token endpoint
// from the methods the server (or the registration) names.
func tokenAuthStyle(methods []string) oauth2.AuthStyle {
	switch {
	case slices.Contains(methods, "client_secret_post"), slices.Contains(methods, "none"):
		return oauth2.AuthStyleInParams
	case slices.Contains(methods, "client_secret_basic"):
		return oauth2.AuthStyleInHeader
	}
	return oauth2.AuthStyleAutoDetect
}

func (a *mcpAuth) config() *oauth2.Config {
	return &oauth2.Config{ClientID: a.ClientID, ClientSecret: a.ClientSecret,
		Endpoint:    oauth2.Endpoint{AuthURL: a.AuthURL, TokenURL: a.TokenURL, AuthStyle: a.AuthStyle},
		RedirectURL: a.RedirectURL, Scopes: a.Scopes}
}

// refreshMCP trades an mcp connection's refresh token for a new access
// token at the endpoints discovery stored, for the same resource.
func (v *Vault) refreshMCP(hctx context.Context, name string, st tokenState) (*oauth2.Token, error) {
	if st.MCP == nil || st.Token == nil {
		return nil, mcpReconnect(name, "it was never connected")
	}
	// (accessToken checked that the url is still the one connected.)
	if st.Token.RefreshToken == "" {
		return nil, mcpReconnect(name, "the access token expired and the server gave no refresh token")
	}
	old := *st.Token
	old.Expiry = v.cfg.Now().Add(-1)
	old.AccessToken = ""
	tok, err := st.MCP.config().TokenSource(hctx, &old).Token()
	if err != nil {
		var re *oauth2.RetrieveError
		if errors.As(err, &re) && re.Response != nil && re.Response.StatusCode < 500 && re.Response.StatusCode != 429 {
			return nil, mcpReconnect(name, "the authorization server refused the refresh token: "+v.red.String(re.ErrorCode))
		}
		return nil, v.tokenError(name, err)
	}
	if tok.RefreshToken == "" {
		tok.RefreshToken = st.Token.RefreshToken
	}
	return tok, nil
}

// mcpBound refuses the stored tokens of an mcp connection whose url is no
// longer the server they were issued for: whoever may edit a connection
// must not be able to send its tokens to a server of their choosing.
func mcpBound(l *loaded, st tokenState) error {
	if l.rec.Type != TypeMCP || st.MCP == nil || st.MCP.Server == l.str("url") {
		return nil
	}
	return mcpReconnect(l.rec.Name, "its url changed since Connect")
}
