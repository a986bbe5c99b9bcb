package api

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"net/http"
	"strings"
)

// TokenVerifier decides whether an API token is valid, and whose it is.
type TokenVerifier interface {
	Verify(ctx context.Context, token string) bool
	// Principal names who token belongs to, as recorded where the API
	// notes who did something (an approval's "by"); ok is false for a
	// token that is not valid. The static admin token is "admin".
	Principal(ctx context.Context, token string) (name string, ok bool)
}

// AdminPrincipal is the principal of the static admin token.
const AdminPrincipal = "admin"

type principalKey struct{}

// PrincipalFrom returns the principal that authenticated the request
// whose context is ctx ("" outside authenticated routes).
func PrincipalFrom(ctx context.Context) string {
	p, _ := ctx.Value(principalKey{}).(string)
	return p
}

type staticToken [][32]byte

var _ TokenVerifier = staticToken(nil)

// StaticToken accepts the tokens whose SHA-256 is one of hashes, so the
// server keeps hashes only.
func StaticToken(hashes ...[32]byte) TokenVerifier { return staticToken(hashes) }

func (s staticToken) Verify(_ context.Context, token string) bool {
	if token == "" {
		return false
	}
	sum := sha256.Sum256([]byte(token))
	ok := 0
	for _, h := range s {
		// Compare against every hash so the time does not say which matched.
		ok |= subtle.ConstantTimeCompare(sum[:], h[:])
	}
	return ok == 1
}

func (s staticToken) Principal(ctx context.Context, token string) (string, bool) {
	if !s.Verify(ctx, token) {
		return "", false
	}
	return AdminPrincipal, true
}

const tokenHint = "send the header `Authorization: Bearer <token>`; the admin token is the value of " +
	"WEFT_ADMIN_TOKEN, or, when that was unset at the first start, the file admin.token in the server's data directory (./weft-data/admin.token by default)"

// eventStreamPattern is the one route that accepts ?access_token=.
const eventStreamPattern = "GET /api/v1/executions/{id}/events"

// authenticate requires a valid API token. EventSource cannot set headers,
// so the event stream also accepts ?access_token= — that route only, as the
// mux matches it: a token in a URL ends up in proxy logs and browser
// history, and a workflow named "events" is not an event stream.
func (s *server) authenticate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		token, found := bearer(r)
		if !found && r.Method == http.MethodGet && s.isEventStream(r) {
			token = r.URL.Query().Get("access_token")
			found = token != ""
		}
		if !found {
			w.Header().Set("WWW-Authenticate", `Bearer realm="weft"`)
			writeError(w, r, nil, &Error{Status: http.StatusUnauthorized, Code: "unauthorized", Message: "missing API token: " + tokenHint})
			return
		}
		who, ok := s.cfg.Tokens.Principal(r.Context(), token)
		if !ok {
			w.Header().Set("WWW-Authenticate", `Bearer realm="weft", error="invalid_token"`)
			writeError(w, r, nil, &Error{Status: http.StatusUnauthorized, Code: "unauthorized", Message: "the API token is not valid: " + tokenHint})
			return
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), principalKey{}, who)))
	})
}

func bearer(r *http.Request) (string, bool) {
	h := r.Header.Get("Authorization")
	if h == "" {
		return "", false
	}
	scheme, token, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	token = strings.TrimSpace(token)
	return token, token != ""
}

func (s *server) isEventStream(r *http.Request) bool {
	_, pattern := s.api.Handler(r)
	return pattern == eventStreamPattern
}

// principalOr names who made the request for records such as "retried by":
// the token's principal, or "API token" when the verifier names none.
func principalOr(r *http.Request) string {
	if p := PrincipalFrom(r.Context()); p != "" {
		return p
	}
	return "API token"
}
