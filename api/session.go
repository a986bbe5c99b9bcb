package api

import (
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/weftworks/weft/identity"
	"github.com/weftworks/weft/internal/logbound"
	"github.com/weftworks/weft/store"
)

// oidcCookie keeps the SSO state between the redirect and the callback;
// hintCookie (readable by scripts, holding nothing secret) tells the
// console a session cookie may be there, so it asks who is signed in
// without a 401 on every signed-out visit.
const (
	oidcCookie = "weft_oidc"
	hintCookie = "weft_signed_in"
)

func (s *server) identityOff(w http.ResponseWriter, r *http.Request) bool {
	if s.cfg.Identity != nil {
		return false
	}
	writeError(w, r, s.log, &Error{Status: http.StatusNotFound, Code: "not_configured", Message: "users and sign-in are not configured in this process; use the admin token"})
	return true
}

// secureCookies reports whether cookies must be marked Secure: always,
// except over plain HTTP to a loopback address (a local try-out), where a
// browser would drop a Secure cookie.
func secureCookies(r *http.Request) bool {
	if r.TLS != nil || strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https") {
		return true
	}
	host, _, err := net.SplitHostPort(r.Host)
	if err != nil {
		host = r.Host
	}
	if host == "localhost" {
		return false
	}
	ip := net.ParseIP(strings.Trim(host, "[]"))
	return ip == nil || !ip.IsLoopback()
}

func (s *server) setSession(w http.ResponseWriter, r *http.Request, cookie string, sess store.Session) {
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: cookie, Path: "/", Expires: sess.ExpiresAt,
		HttpOnly: true, Secure: secureCookies(r), SameSite: http.SameSiteLaxMode})
	http.SetCookie(w, &http.Cookie{Name: hintCookie, Value: "1", Path: "/", Expires: sess.ExpiresAt,
		Secure: secureCookies(r), SameSite: http.SameSiteLaxMode})
}

type sessionView struct {
	identity.Principal
	Permissions []string `json:"permissions"`
	CSRFToken   string   `json:"csrf_token,omitempty"`
}

func viewOf(p identity.Principal) sessionView {
	return sessionView{Principal: p, Permissions: p.Permissions(), CSRFToken: p.CSRF}
}

// audit records an action of the request's principal.
func (s *server) audit(r *http.Request, action, target string, detail any) {
	s.auditAs(r, PrincipalFrom(r.Context()), action, target, detail)
}

func (s *server) auditAs(r *http.Request, actor, action, target string, detail any) {
	if s.cfg.Audit == nil {
		return
	}
	s.cfg.Audit.Record(r.Context(), logbound.Clip(actor, 320), sourceHost(r), action, target, detail)
}

func (s *server) authProviders(w http.ResponseWriter, _ *http.Request) {
	type sso struct {
		Enabled bool   `json:"enabled"`
		Name    string `json:"name,omitempty"`
		URL     string `json:"url,omitempty"`
	}
	out := struct {
		Password bool `json:"password"`
		SSO      sso  `json:"sso"`
	}{Password: s.cfg.Identity != nil}
	if s.cfg.Identity != nil && s.cfg.Identity.OIDCEnabled() {
		out.SSO = sso{Enabled: true, Name: s.cfg.Identity.OIDCName(), URL: "/auth/oidc/login"}
	}
	writeJSON(w, http.StatusOK, out)
}

// signIn checks an email and password and starts a console session.
func (s *server) signIn(w http.ResponseWriter, r *http.Request) {
	if s.identityOff(w, r) {
		return
	}
	body, err := readJSON(r, "")
	if err != nil {
		writeError(w, r, s.log, err)
		return
	}
	var in struct {
		Email    string `json:"email"`
		Password string `json:"password"`
	}
	if err := json.Unmarshal(body, &in); err != nil {
		writeError(w, r, s.log, badRequest("the body must be {email, password}: %v", err))
		return
	}
	u, err := s.cfg.Identity.SignIn(r.Context(), in.Email, in.Password)
	if errors.Is(err, identity.ErrBadCredentials) {
		s.auditAs(r, in.Email, "signin.failed", in.Email, map[string]string{"method": "password"})
		writeError(w, r, nil, &Error{Status: http.StatusUnauthorized, Code: "bad_credentials", Message: err.Error()})
		return
	}
	if err != nil {
		writeError(w, r, s.log, err)
		return
	}
	s.startSession(w, r, u, "password")
}

// startSession sets the cookie, records the sign-in and answers with the
// session (the redirect of the SSO callback answers itself).
func (s *server) startSession(w http.ResponseWriter, r *http.Request, u store.User, method string) (identity.Principal, bool) {
	cookie, sess, err := s.cfg.Identity.StartSession(r.Context(), u)
	if err != nil {
		writeError(w, r, s.log, err)
		return identity.Principal{}, false
	}
	s.setSession(w, r, cookie, sess)
	s.auditAs(r, u.Email, "signin", u.Email, map[string]string{"method": method, "role": u.Role})
	p := identity.Principal{Name: u.Email, UserID: u.ID, Email: u.Email, Role: u.Role, Via: identity.ViaSession, CSRF: sess.CSRF}
	if method == "password" {
		writeJSON(w, http.StatusOK, viewOf(p))
	}
	return p, true
}

func (s *server) getSession(w http.ResponseWriter, r *http.Request) {
	p, _ := PrincipalOf(r.Context())
	writeJSON(w, http.StatusOK, viewOf(p))
}

func (s *server) signOut(w http.ResponseWriter, r *http.Request) {
	p, _ := PrincipalOf(r.Context())
	if p.Via == identity.ViaSession {
		if c, err := r.Cookie(sessionCookie); err == nil {
			if err := s.cfg.Identity.EndSession(r.Context(), c.Value); err != nil {
				writeError(w, r, s.log, err)
				return
			}
		}
		s.audit(r, "signout", p.Name, nil)
	}
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, Secure: secureCookies(r), SameSite: http.SameSiteLaxMode})
	http.SetCookie(w, &http.Cookie{Name: hintCookie, Value: "", Path: "/", MaxAge: -1, Secure: secureCookies(r), SameSite: http.SameSiteLaxMode})
	w.WriteHeader(http.StatusNoContent)
}

// oidcLogin sends the browser to the IdP.
func (s *server) oidcLogin(w http.ResponseWriter, r *http.Request) {
	if s.identityOff(w, r) {
		return
	}
	to, st, err := s.cfg.Identity.OIDCLogin(r.Context())
	if err != nil {
		s.log.Warn("starting an SSO sign-in", "err", err)
		http.Redirect(w, r, "/?signin_error="+url.QueryEscape(err.Error()), http.StatusFound)
		return
	}
	// Lax: the cookie must come back on the IdP's top-level redirect.
	http.SetCookie(w, &http.Cookie{Name: oidcCookie, Value: st.Encode(), Path: "/auth/oidc/", MaxAge: int((10 * time.Minute).Seconds()),
		HttpOnly: true, Secure: secureCookies(r), SameSite: http.SameSiteLaxMode})
	http.Redirect(w, r, to, http.StatusFound)
}

// oidcCallback completes an SSO sign-in and sends the browser to the
// console, with the reason in ?signin_error= when it was refused.
func (s *server) oidcCallback(w http.ResponseWriter, r *http.Request) {
	if s.identityOff(w, r) {
		return
	}
	http.SetCookie(w, &http.Cookie{Name: oidcCookie, Value: "", Path: "/auth/oidc/", MaxAge: -1, HttpOnly: true, Secure: secureCookies(r), SameSite: http.SameSiteLaxMode})
	q := r.URL.Query()
	fail := func(who, reason string) {
		if who == "" {
			who = "unknown"
		}
		s.auditAs(r, who, "signin.failed", who, map[string]string{"method": "oidc", "reason": logbound.Clip(reason, 300)})
		http.Redirect(w, r, "/?signin_error="+url.QueryEscape(logbound.Clip(reason, 300)), http.StatusFound)
	}
	if e := q.Get("error"); e != "" {
		fail("", "the IdP answered "+e+": "+q.Get("error_description"))
		return
	}
	var kept identity.OIDCState
	if c, err := r.Cookie(oidcCookie); err == nil {
		kept, _ = identity.DecodeOIDCState(c.Value)
	}
	u, err := s.cfg.Identity.OIDCCallback(r.Context(), kept, q.Get("state"), q.Get("code"))
	if err != nil {
		var oe *identity.OIDCError
		if errors.As(err, &oe) {
			fail(oe.Who, oe.Reason)
			return
		}
		s.log.Warn("completing an SSO sign-in", "err", err)
		fail("", "the sign-in could not be completed; the server log has the details")
		return
	}
	if _, ok := s.startSession(w, r, u, "oidc"); ok {
		http.Redirect(w, r, "/", http.StatusFound)
	}
}

func (s *server) listPermissions(w http.ResponseWriter, _ *http.Request) {
	roles := map[string][]string{}
	for _, role := range identity.RoleNames {
		roles[role] = identity.RolePermissions(role)
	}
	var scopes []string
	for _, p := range identity.AllPermissions {
		if p != identity.TokensOwn {
			scopes = append(scopes, p)
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"roles": roles, "role_order": identity.RoleNames, "scopes": scopes, "workflow_scoped": identity.WorkflowScoped})
}
