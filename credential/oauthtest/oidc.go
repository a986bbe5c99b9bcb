package oauthtest

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"math/big"
	"net/http"
	"strings"
)

// Identity is who the fake IdP says signs in: the claims of the ID tokens
// it issues (OpenID Connect Core 1.0 §2, plus a groups claim).
type Identity struct {
	Subject       string
	Email         string
	EmailVerified bool
	Name          string
	Groups        []string
}

// SetIdentity sets who signs in next; ID tokens are issued only to
// authorization requests with the openid scope.
func (s *Server) SetIdentity(id Identity) {
	s.mu.Lock()
	s.identity = id
	s.mu.Unlock()
}

// Issuer is the OIDC issuer URL (the server's URL).
func (s *Server) Issuer() string { return s.URL }

// oidcKey signs ID tokens with RS256; its public half is served as a JWKS.
type oidcKey struct {
	key *rsa.PrivateKey
	kid string
}

func newOIDCKey() oidcKey {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	return oidcKey{key: k, kid: random()[:8]}
}

// discovery serves /.well-known/openid-configuration.
func (s *Server) discovery(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]any{
		"issuer":                                s.URL,
		"authorization_endpoint":                s.URL + "/authorize",
		"token_endpoint":                        s.URL + "/token",
		"jwks_uri":                              s.URL + "/jwks",
		"response_types_supported":              []string{"code"},
		"subject_types_supported":               []string{"public"},
		"id_token_signing_alg_values_supported": []string{"RS256"},
		"scopes_supported":                      []string{"openid", "email", "profile", "groups"},
		"code_challenge_methods_supported":      []string{"S256"},
	})
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

// jwks serves the signing key (RFC 7517).
func (s *Server) jwks(w http.ResponseWriter, _ *http.Request) {
	pub := s.oidc.key.PublicKey
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]any{"keys": []map[string]string{{
		"kty": "RSA", "use": "sig", "alg": "RS256", "kid": s.oidc.kid,
		"n": b64(pub.N.Bytes()), "e": b64(big.NewInt(int64(pub.E)).Bytes()),
	}}})
}

// idToken signs an ID token for the current identity (RFC 7519, RS256).
func (s *Server) idToken(nonce string) string {
	s.mu.Lock()
	id := s.identity
	s.mu.Unlock()
	now := s.Now()
	claims := map[string]any{"iss": s.URL, "sub": id.Subject, "aud": s.ClientID, "iat": now.Unix(), "exp": now.Add(s.TTL).Unix(),
		"email": id.Email, "email_verified": id.EmailVerified, "name": id.Name, "groups": id.Groups}
	if nonce != "" {
		claims["nonce"] = nonce
	}
	header, _ := json.Marshal(map[string]string{"alg": "RS256", "typ": "JWT", "kid": s.oidc.kid})
	payload, _ := json.Marshal(claims)
	signing := b64(header) + "." + b64(payload)
	sum := sha256.Sum256([]byte(signing))
	sig, err := rsa.SignPKCS1v15(rand.Reader, s.oidc.key, crypto.SHA256, sum[:])
	if err != nil {
		panic(err)
	}
	return signing + "." + b64(sig)
}

func hasOpenID(scope string) bool {
	for _, s := range strings.Fields(scope) {
		if s == "openid" {
			return true
		}
	}
	return false
}
