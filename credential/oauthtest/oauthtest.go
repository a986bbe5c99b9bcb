// Package oauthtest is a small OAuth 2.0 authorization server for tests: the
// client-credentials, authorization-code (with PKCE S256) and refresh-token
// grants of RFC 6749 and RFC 7636, speaking the real wire format (form
// requests, JSON token answers, RFC 6749 §5.2 errors), plus a protected
// resource that accepts only live access tokens. It is also an OpenID
// Connect provider: discovery, a JWKS, and RS256-signed ID tokens for
// authorization requests with the openid scope (see SetIdentity).
package oauthtest

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"sync/atomic"
	"time"
)

// Server is a running fake authorization server.
type Server struct {
	*httptest.Server
	ClientID, ClientSecret string
	// TTL is the lifetime of issued access tokens.
	TTL time.Duration
	// Delay slows the token endpoint (to widen races in tests).
	Delay time.Duration
	Now   func() time.Time

	mu      sync.Mutex
	access  map[string]time.Time // token → expiry
	refresh map[string]bool
	codes   map[string]pending

	oidc     oidcKey
	identity Identity

	// Issued counts token answers by grant type.
	ClientCredentials, CodeExchanges, Refreshes atomic.Int32
}

type pending struct {
	challenge, redirect, nonce string
	openid                     bool
}

// New starts a server; Close it when done.
func New() *Server {
	s := &Server{ClientID: "weft-client", ClientSecret: "weft-client-secret-123", TTL: time.Hour, Now: time.Now,
		access: map[string]time.Time{}, refresh: map[string]bool{}, codes: map[string]pending{}, oidc: newOIDCKey(),
		identity: Identity{Subject: "user-1", Email: "user@example.com", EmailVerified: true, Name: "Test User"}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /authorize", s.authorize)
	mux.HandleFunc("POST /token", s.token)
	mux.HandleFunc("/resource", s.resource)
	mux.HandleFunc("GET /.well-known/openid-configuration", s.discovery)
	mux.HandleFunc("GET /jwks", s.jwks)
	s.Server = httptest.NewServer(mux)
	return s
}

func random() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// authorize stands in for the consent page: it approves at once and
// redirects back with a code bound to the PKCE challenge.
func (s *Server) authorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if q.Get("client_id") != s.ClientID || q.Get("response_type") != "code" || q.Get("code_challenge_method") != "S256" || q.Get("code_challenge") == "" {
		http.Error(w, "bad authorization request", http.StatusBadRequest)
		return
	}
	code := random()
	s.mu.Lock()
	s.codes[code] = pending{challenge: q.Get("code_challenge"), redirect: q.Get("redirect_uri"), nonce: q.Get("nonce"), openid: hasOpenID(q.Get("scope"))}
	s.mu.Unlock()
	u, _ := url.Parse(q.Get("redirect_uri"))
	v := u.Query()
	v.Set("code", code)
	v.Set("state", q.Get("state"))
	u.RawQuery = v.Encode()
	http.Redirect(w, r, u.String(), http.StatusFound)
}

func oauthError(w http.ResponseWriter, status int, code string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]string{"error": code})
}

func (s *Server) token(w http.ResponseWriter, r *http.Request) {
	if s.Delay > 0 {
		time.Sleep(s.Delay)
	}
	if err := r.ParseForm(); err != nil {
		oauthError(w, 400, "invalid_request")
		return
	}
	id, secret, ok := r.BasicAuth()
	if !ok {
		id, secret = r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
	}
	if id != s.ClientID || secret != s.ClientSecret {
		oauthError(w, 401, "invalid_client")
		return
	}
	withRefresh := false
	var granted pending
	switch r.PostForm.Get("grant_type") {
	case "client_credentials":
		s.ClientCredentials.Add(1)
	case "authorization_code":
		s.mu.Lock()
		p, ok := s.codes[r.PostForm.Get("code")]
		delete(s.codes, r.PostForm.Get("code"))
		s.mu.Unlock()
		sum := sha256.Sum256([]byte(r.PostForm.Get("code_verifier")))
		if !ok || base64.RawURLEncoding.EncodeToString(sum[:]) != p.challenge {
			oauthError(w, 400, "invalid_grant")
			return
		}
		if p.redirect != r.PostForm.Get("redirect_uri") {
			oauthError(w, 400, "invalid_grant")
			return
		}
		s.CodeExchanges.Add(1)
		withRefresh = true
		granted = p
	case "refresh_token":
		s.mu.Lock()
		ok := s.refresh[r.PostForm.Get("refresh_token")]
		s.mu.Unlock()
		if !ok {
			oauthError(w, 400, "invalid_grant")
			return
		}
		s.Refreshes.Add(1)
	default:
		oauthError(w, 400, "unsupported_grant_type")
		return
	}
	tok := "at-" + random()
	ans := map[string]any{"access_token": tok, "token_type": "Bearer", "expires_in": int(s.TTL.Seconds())}
	s.mu.Lock()
	s.access[tok] = s.Now().Add(s.TTL)
	if withRefresh {
		rt := "rt-" + random()
		s.refresh[rt] = true
		ans["refresh_token"] = rt
	}
	s.mu.Unlock()
	if granted.openid {
		ans["id_token"] = s.idToken(granted.nonce)
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(ans)
}

// Revoke makes every access token issued so far invalid.
func (s *Server) Revoke() {
	s.mu.Lock()
	s.access = map[string]time.Time{}
	s.mu.Unlock()
}

func (s *Server) resource(w http.ResponseWriter, r *http.Request) {
	h := r.Header.Get("Authorization")
	const p = "Bearer "
	s.mu.Lock()
	exp, ok := s.access[h[min(len(p), len(h)):]]
	s.mu.Unlock()
	if len(h) <= len(p) || !ok || s.Now().After(exp) {
		w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
		http.Error(w, "invalid token", http.StatusUnauthorized)
		return
	}
	w.Write([]byte(`{"ok":true}`))
}
