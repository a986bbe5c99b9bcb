package identity

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/store"
)

// OIDCConfig configures "Sign in with SSO" against any OpenID Connect
// provider (Keycloak, Google, Okta, Entra ID, ...).
type OIDCConfig struct {
	// Issuer is the IdP's issuer URL; discovery reads
	// <Issuer>/.well-known/openid-configuration.
	Issuer       string
	ClientID     string
	ClientSecret string
	// RedirectURL is this server's callback as registered at the IdP:
	// https://weft.example.com/auth/oidc/callback.
	RedirectURL string
	// Scopes requested besides openid (default email, profile).
	Scopes []string
	// GroupsClaim names the ID token claim listing the user's groups
	// (default "groups").
	GroupsClaim string
	// RoleMap maps IdP groups to Weft roles; a user in several groups gets
	// the most privileged role. The role is set again at every sign-in.
	RoleMap map[string]string
	// DefaultRole is given to users in no mapped group; empty refuses them.
	DefaultRole string
	// Name labels the console's button (default "SSO").
	Name string
	// HTTP is the client for discovery, JWKS and the token exchange
	// (default a client with a 10s timeout).
	HTTP *http.Client
}

// Validate reports the first missing or wrong field, naming the flag.
func (c *OIDCConfig) Validate() error {
	u, err := url.Parse(c.Issuer)
	switch {
	case c.Issuer == "" || err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "":
		return fmt.Errorf("--oidc-issuer %q must be the IdP's issuer URL (https://...)", c.Issuer)
	case c.ClientID == "":
		return errors.New("--oidc-client-id is required with --oidc-issuer")
	case c.RedirectURL == "":
		return errors.New("--oidc-redirect-url is required with --oidc-issuer: this server's /auth/oidc/callback URL as registered at the IdP")
	}
	for g, r := range c.RoleMap {
		if err := ValidRole(r); err != nil {
			return fmt.Errorf("--oidc-role-map: group %q: %w", g, err)
		}
	}
	if c.DefaultRole != "" {
		if err := ValidRole(c.DefaultRole); err != nil {
			return fmt.Errorf("--oidc-default-role: %w", err)
		}
	}
	return nil
}

// ParseRoleMap parses "group=role,group2=role2".
func ParseRoleMap(s string) (map[string]string, error) {
	m := map[string]string{}
	for _, kv := range strings.Split(s, ",") {
		kv = strings.TrimSpace(kv)
		if kv == "" {
			continue
		}
		g, r, ok := strings.Cut(kv, "=")
		if !ok || strings.TrimSpace(g) == "" {
			return nil, fmt.Errorf("--oidc-role-map entry %q is not group=role", kv)
		}
		if err := ValidRole(strings.TrimSpace(r)); err != nil {
			return nil, fmt.Errorf("--oidc-role-map entry %q: %w", kv, err)
		}
		m[strings.TrimSpace(g)] = strings.TrimSpace(r)
	}
	return m, nil
}

type oidcClient struct {
	cfg OIDCConfig

	mu       sync.Mutex
	provider *oidc.Provider
}

func newOIDCClient(cfg OIDCConfig) *oidcClient {
	if cfg.GroupsClaim == "" {
		cfg.GroupsClaim = "groups"
	}
	if cfg.Name == "" {
		cfg.Name = "SSO"
	}
	if len(cfg.Scopes) == 0 {
		cfg.Scopes = []string{"email", "profile"}
	}
	if cfg.HTTP == nil {
		cfg.HTTP = &http.Client{Timeout: 10 * time.Second}
	}
	return &oidcClient{cfg: cfg}
}

// discover returns the provider, fetching the discovery document the first
// time it is needed (and again after a failure).
func (c *oidcClient) discover(ctx context.Context) (*oidc.Provider, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.provider != nil {
		return c.provider, nil
	}
	p, err := oidc.NewProvider(oidc.ClientContext(ctx, c.cfg.HTTP), c.cfg.Issuer)
	if err != nil {
		return nil, fmt.Errorf("reading the OIDC discovery document of %s: %w", c.cfg.Issuer, err)
	}
	c.provider = p
	return p, nil
}

func (c *oidcClient) oauth(p *oidc.Provider) *oauth2.Config {
	return &oauth2.Config{ClientID: c.cfg.ClientID, ClientSecret: c.cfg.ClientSecret, RedirectURL: c.cfg.RedirectURL,
		Endpoint: p.Endpoint(), Scopes: append([]string{oidc.ScopeOpenID}, c.cfg.Scopes...)}
}

// OIDCState is what the browser keeps (in an HttpOnly cookie) between the
// redirect to the IdP and the callback.
type OIDCState struct {
	State, Nonce, Verifier string
}

// Encode packs the state for a cookie.
func (s OIDCState) Encode() string { return s.State + "." + s.Nonce + "." + s.Verifier }

// DecodeOIDCState unpacks Encode's form.
func DecodeOIDCState(v string) (OIDCState, bool) {
	parts := strings.Split(v, ".")
	if len(parts) != 3 || len(v) > 512 {
		return OIDCState{}, false
	}
	return OIDCState{parts[0], parts[1], parts[2]}, true
}

// OIDCLogin returns the IdP URL to send the browser to and the state to
// keep for the callback (state, nonce and a PKCE verifier).
func (s *Service) OIDCLogin(ctx context.Context) (string, OIDCState, error) {
	if s.oidc == nil {
		return "", OIDCState{}, fmt.Errorf("SSO sign-in is not configured (--oidc-issuer): %w", weft.ErrNotFound)
	}
	p, err := s.oidc.discover(ctx)
	if err != nil {
		return "", OIDCState{}, err
	}
	st := OIDCState{Verifier: oauth2.GenerateVerifier()}
	if st.State, err = newSecret(""); err != nil {
		return "", OIDCState{}, err
	}
	if st.Nonce, err = newSecret(""); err != nil {
		return "", OIDCState{}, err
	}
	u := s.oidc.oauth(p).AuthCodeURL(st.State, oidc.Nonce(st.Nonce), oauth2.S256ChallengeOption(st.Verifier))
	return u, st, nil
}

// OIDCError is a refused SSO sign-in; Who names the IdP identity when it
// is known, for the audit trail.
type OIDCError struct {
	Who    string
	Reason string
}

func (e *OIDCError) Error() string { return "SSO sign-in refused: " + e.Reason }

// OIDCCallback completes an SSO sign-in: it exchanges code, verifies the ID
// token (signature, issuer, audience, expiry, nonce), maps the groups claim
// to a role and finds or creates the user.
func (s *Service) OIDCCallback(ctx context.Context, kept OIDCState, state, code string) (store.User, error) {
	if s.oidc == nil {
		return store.User{}, fmt.Errorf("SSO sign-in is not configured: %w", weft.ErrNotFound)
	}
	if state == "" || kept.State == "" || state != kept.State {
		return store.User{}, &OIDCError{Reason: "the state does not match this browser's sign-in (start again from the sign-in page)"}
	}
	p, err := s.oidc.discover(ctx)
	if err != nil {
		return store.User{}, err
	}
	cctx := oidc.ClientContext(ctx, s.oidc.cfg.HTTP)
	tok, err := s.oidc.oauth(p).Exchange(cctx, code, oauth2.VerifierOption(kept.Verifier))
	if err != nil {
		return store.User{}, &OIDCError{Reason: fmt.Sprintf("exchanging the code at the IdP: %v", err)}
	}
	raw, _ := tok.Extra("id_token").(string)
	if raw == "" {
		return store.User{}, &OIDCError{Reason: "the IdP's token response has no id_token"}
	}
	idt, err := p.Verifier(&oidc.Config{ClientID: s.oidc.cfg.ClientID}).Verify(cctx, raw)
	if err != nil {
		return store.User{}, &OIDCError{Reason: fmt.Sprintf("the ID token is not valid: %v", err)}
	}
	if idt.Nonce != kept.Nonce {
		return store.User{}, &OIDCError{Reason: "the ID token's nonce does not match this sign-in"}
	}
	claims := map[string]any{}
	if err := idt.Claims(&claims); err != nil {
		return store.User{}, &OIDCError{Reason: fmt.Sprintf("reading the ID token's claims: %v", err)}
	}
	email, _ := claims["email"].(string)
	verified, _ := claims["email_verified"].(bool)
	name, _ := claims["name"].(string)
	who := email
	if who == "" {
		who = idt.Subject
	}
	role := s.oidc.roleFor(claims)
	if role == "" {
		return store.User{}, &OIDCError{Who: who, Reason: fmt.Sprintf("none of the user's groups (claim %q) maps to a role and there is no default role", s.oidc.cfg.GroupsClaim)}
	}
	subject := idt.Issuer + " " + idt.Subject
	u, err := s.st.GetUserBySubject(ctx, subject)
	switch {
	case err == nil:
	case !errors.Is(err, weft.ErrNotFound):
		return store.User{}, err
	case email == "":
		return store.User{}, &OIDCError{Who: who, Reason: "the ID token has no email claim (request the email scope)"}
	default:
		// A local account with the same verified email is linked to the
		// IdP identity; an unverified email never takes over an account.
		u, err = s.st.GetUserByEmail(ctx, email)
		switch {
		case err == nil && !verified:
			return store.User{}, &OIDCError{Who: who, Reason: "the IdP has not verified this email, and a user with it exists"}
		case err == nil:
			u.Subject = subject
		case errors.Is(err, weft.ErrNotFound):
			u, err = s.st.CreateUser(ctx, store.User{ID: newID("usr_"), Email: email, Name: name, Role: role, Kind: store.UserPerson, Subject: subject})
			if err != nil {
				return store.User{}, err
			}
		default:
			return store.User{}, err
		}
	}
	if u.Disabled {
		return store.User{}, &OIDCError{Who: who, Reason: "the user is disabled in Weft"}
	}
	if u.Role == RoleOwner {
		// SSO never demotes an owner made in Weft: the owner keeps a way
		// in whatever the IdP's groups say.
		role = RoleOwner
	}
	if u.Role != role || u.Subject != subject {
		// Otherwise the IdP's groups decide the role, at every sign-in.
		u.Role, u.Subject = role, subject
		if u, err = s.st.UpdateUser(ctx, u); err != nil {
			return store.User{}, err
		}
	}
	if err := s.st.TouchUserLogin(ctx, u.ID, s.cfg.Now()); err != nil {
		s.cfg.Logger.Warn("recording a sign-in", "err", err)
	}
	return u, nil
}

// roleFor maps the groups claim to the most privileged mapped role.
func (c *oidcClient) roleFor(claims map[string]any) string {
	var groups []string
	switch v := claims[c.cfg.GroupsClaim].(type) {
	case []any:
		for _, g := range v {
			if s, ok := g.(string); ok {
				groups = append(groups, s)
			}
		}
	case string:
		groups = []string{v}
	}
	best := -1
	for _, g := range groups {
		if r, ok := c.cfg.RoleMap[g]; ok {
			if i := slices.Index(RoleNames, r); i >= 0 && (best < 0 || i < best) {
				best = i
			}
		}
	}
	if best >= 0 {
		return RoleNames[best]
	}
	return c.cfg.DefaultRole
}
