package api

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/identity"
)

// The console's session cookie and the header its CSRF token comes back in.
const (
	sessionCookie = "weft_session"
	csrfHeader    = "X-CSRF-Token"
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

// PrincipalFrom returns the name of the principal that authenticated the
// request whose context is ctx ("" outside authenticated routes).
func PrincipalFrom(ctx context.Context) string {
	p, _ := PrincipalOf(ctx)
	return p.Name
}

// PrincipalOf returns the principal that authenticated the request whose
// context is ctx: its role, how it signed in and a token's scopes.
func PrincipalOf(ctx context.Context) (identity.Principal, bool) {
	p, ok := ctx.Value(principalKey{}).(identity.Principal)
	return p, ok
}

// WithPrincipal returns ctx carrying p, for code that runs requests on
// someone's behalf outside the API's middleware (and for tests).
func WithPrincipal(ctx context.Context, p identity.Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// Allowed reports whether the principal in ctx holds perm: a permission
// such as "workflows:write" (see package identity), or one narrowed to a
// workflow, "mcp:call:<workflow>" or "executions:run:<workflow>". A
// principal holds a narrowed permission when its role grants the
// permission and its token (if any) carries the permission or exactly
// that narrowed scope. No principal in ctx: false.
func Allowed(ctx context.Context, perm string) bool {
	p, ok := PrincipalOf(ctx)
	if !ok {
		return false
	}
	for _, base := range identity.WorkflowScoped {
		if wf, ok := strings.CutPrefix(perm, base+":"); ok && wf != "" {
			return p.Allowed(base, wf)
		}
	}
	return p.Allowed(perm, "")
}

// MayCallWorkflow reports whether the principal in ctx may call workflow
// as an MCP tool (permission mcp:call, or a token scoped mcp:call:<workflow>).
func MayCallWorkflow(ctx context.Context, workflow string) bool {
	return Allowed(ctx, identity.MCPCall+":"+workflow)
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

// authenticate finds who made an /api/ request: the static admin token,
// a user's API token (Authorization: Bearer), or a console session
// cookie, whose state-changing requests must echo the session's CSRF
// token in X-CSRF-Token. EventSource cannot set headers, so the event
// stream also accepts ?access_token= — that route only, as the mux
// matches it: a token in a URL ends up in proxy logs and browser history,
// and a workflow named "events" is not an event stream. What the
// principal may do is checked per route by authorize.
func (s *server) authenticate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		token, found := bearer(r)
		if !found && r.Method == http.MethodGet && s.isEventStream(r) {
			token = r.URL.Query().Get("access_token")
			found = token != ""
		}
		if !found {
			if p, ok := s.sessionPrincipal(w, r); ok {
				next.ServeHTTP(w, r.WithContext(WithPrincipal(r.Context(), p)))
			}
			return
		}
		p, ok := s.tokenPrincipal(r.Context(), token)
		if !ok {
			w.Header().Set("WWW-Authenticate", `Bearer realm="weft", error="invalid_token"`)
			writeError(w, r, nil, &Error{Status: http.StatusUnauthorized, Code: "unauthorized", Message: "the API token is not valid (unknown, revoked or expired): " + tokenHint})
			return
		}
		next.ServeHTTP(w, r.WithContext(WithPrincipal(r.Context(), p)))
	})
}

// Authenticate wraps next (an endpoint served outside /api/, such as an
// MCP server at /mcp) in the API's authentication: the admin token, a
// user's API token or a console session with its CSRF token, as cfg's
// Tokens and Identity say. next finds the principal with PrincipalOf and
// decides per call with Allowed or MayCallWorkflow; requests without a
// valid principal are answered 401 here.
func Authenticate(cfg Config, next http.Handler) http.Handler {
	cfg = cfg.WithDefaults()
	s := &server{cfg: cfg, log: cfg.Logger}
	return s.authenticate(next)
}

// tokenPrincipal resolves a bearer token: the admin token (or whatever
// Config.Tokens knows) first, then the users' API tokens.
func (s *server) tokenPrincipal(ctx context.Context, token string) (identity.Principal, bool) {
	if who, ok := s.cfg.Tokens.Principal(ctx, token); ok {
		p := identity.AdminPrincipal()
		p.Name = who
		return p, true
	}
	if s.cfg.Identity == nil {
		return identity.Principal{}, false
	}
	p, err := s.cfg.Identity.Token(ctx, token)
	if err != nil {
		if !errors.Is(err, weft.ErrNotFound) {
			s.log.Warn("checking an API token", "err", err)
		}
		return identity.Principal{}, false
	}
	return p, true
}

// sessionPrincipal resolves the console's session cookie, answering 401
// (no or stale session) or 403 (CSRF) itself when it returns false.
func (s *server) sessionPrincipal(w http.ResponseWriter, r *http.Request) (identity.Principal, bool) {
	c, err := r.Cookie(sessionCookie)
	if err != nil || s.cfg.Identity == nil {
		w.Header().Set("WWW-Authenticate", `Bearer realm="weft"`)
		writeError(w, r, nil, &Error{Status: http.StatusUnauthorized, Code: "unauthorized", Message: "missing API token: " + tokenHint})
		return identity.Principal{}, false
	}
	p, err := s.cfg.Identity.Session(r.Context(), c.Value)
	if err != nil {
		if !errors.Is(err, weft.ErrNotFound) {
			s.log.Warn("checking a session", "err", err)
		}
		writeError(w, r, nil, &Error{Status: http.StatusUnauthorized, Code: "unauthorized", Message: "the console session ended (signed out or expired): sign in again"})
		return identity.Principal{}, false
	}
	if !safeMethod(r.Method) && subtle.ConstantTimeCompare([]byte(r.Header.Get(csrfHeader)), []byte(p.CSRF)) != 1 {
		writeError(w, r, nil, &Error{Status: http.StatusForbidden, Code: "csrf",
			Message: "a request signed in with the session cookie must send the session's CSRF token in " + csrfHeader + " (GET /api/v1/session returns it)"})
		return identity.Principal{}, false
	}
	return p, true
}

func safeMethod(m string) bool {
	return m == http.MethodGet || m == http.MethodHead || m == http.MethodOptions
}

// authorize is the one place permissions are checked: every route of the
// table is wrapped with its declared need.
func (s *server) authorize(need Need, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, _ := PrincipalOf(r.Context())
		wf := ""
		if need.Workflow != "" {
			wf = r.PathValue(need.Workflow)
		}
		if !p.Allowed(need.Perm, wf) {
			writeError(w, r, nil, forbidden(p, need.Perm))
			return
		}
		next.ServeHTTP(w, r)
	})
}

func forbidden(p identity.Principal, perm string) *Error {
	msg := fmt.Sprintf("this needs the permission %s, which the role %s does not grant", perm, p.Role)
	if p.Scopes != nil && identity.RolePermissionsHas(p.Role, perm) {
		msg = fmt.Sprintf("this needs the permission %s, which this token's scopes (%s) do not include", perm, strings.Join(p.Scopes, ", "))
	}
	return &Error{Status: http.StatusForbidden, Code: "forbidden", Message: msg}
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
	if s.api == nil {
		return false
	}
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
