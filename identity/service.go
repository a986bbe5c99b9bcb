package identity

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/store"
)

// Config configures the Service.
type Config struct {
	Store  store.Identity
	Logger *slog.Logger
	// SessionTTL is how long a console sign-in lasts (default 12h).
	SessionTTL time.Duration
	// TokenTTL is the expiry of a token created without one (default 90
	// days); MaxTokenTTL the longest a token may live (default 366 days).
	TokenTTL, MaxTokenTTL time.Duration
	// MaxHashing bounds concurrent argon2id computations (default 2).
	MaxHashing int
	// OIDC enables "Sign in with SSO"; nil leaves it off.
	OIDC *OIDCConfig
	Now  func() time.Time
}

// WithDefaults returns c with zero fields set to their defaults.
func (c Config) WithDefaults() Config {
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.SessionTTL <= 0 {
		c.SessionTTL = 12 * time.Hour
	}
	if c.TokenTTL <= 0 {
		c.TokenTTL = 90 * 24 * time.Hour
	}
	if c.MaxTokenTTL <= 0 {
		c.MaxTokenTTL = 366 * 24 * time.Hour
	}
	if c.MaxHashing <= 0 {
		c.MaxHashing = 2
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return c
}

// Validate reports the first field that is missing or wrong.
func (c Config) Validate() error {
	if c.Store == nil {
		return errors.New("identity config: Store is required")
	}
	if c.OIDC != nil {
		return c.OIDC.Validate()
	}
	return nil
}

// Service signs people in and answers who a token or session belongs to.
type Service struct {
	cfg   Config
	st    store.Identity
	hash  *hasher
	oidc  *oidcClient
	dummy string // a hash to check against for unknown users, so timing does not tell
}

// New builds a Service. With OIDC configured it does not contact the IdP
// yet: discovery happens at the first SSO sign-in, so the server starts
// while the IdP is down.
func New(cfg Config) (*Service, error) {
	cfg = cfg.WithDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	s := &Service{cfg: cfg, st: cfg.Store, hash: newHasher(cfg.MaxHashing), dummy: dummyHash}
	if cfg.OIDC != nil {
		s.oidc = newOIDCClient(*cfg.OIDC)
	}
	return s, nil
}

// AdminPrincipal is the principal of the static admin token: an owner, for
// bootstrap and automation.
func AdminPrincipal() Principal {
	return Principal{Name: "admin", Role: RoleOwner, Via: ViaAdminToken}
}

func userPrincipal(u store.User, via string) Principal {
	return Principal{Name: u.Email, UserID: u.ID, Email: u.Email, Role: u.Role, Via: via}
}

// SignIn checks a local account's password. Every failure is
// ErrBadCredentials (or a context error), and an unknown email costs the
// same hashing as a wrong password.
func (s *Service) SignIn(ctx context.Context, email, password string) (store.User, error) {
	if len(password) > MaxPassword || len(email) > 320 {
		return store.User{}, ErrBadCredentials
	}
	if err := s.hash.acquire(ctx); err != nil {
		return store.User{}, err
	}
	defer s.hash.release()
	u, err := s.st.GetUserByEmail(ctx, email)
	if err != nil && !errors.Is(err, weft.ErrNotFound) {
		return store.User{}, err
	}
	hash := u.PasswordHash
	if hash == "" {
		hash = s.dummy
	}
	ok := CheckPassword(hash, password)
	if err != nil || !ok || u.PasswordHash == "" || u.Disabled || u.Kind != store.UserPerson {
		return store.User{}, ErrBadCredentials
	}
	if err := s.st.TouchUserLogin(ctx, u.ID, s.cfg.Now()); err != nil {
		s.cfg.Logger.Warn("recording a sign-in", "err", err)
	}
	return u, nil
}

// StartSession creates a console session for u and returns the cookie
// value (shown to the browser only) and the session.
func (s *Service) StartSession(ctx context.Context, u store.User) (string, store.Session, error) {
	cookie, err := newSecret("")
	if err != nil {
		return "", store.Session{}, err
	}
	csrf, err := newSecret("")
	if err != nil {
		return "", store.Session{}, err
	}
	now := s.cfg.Now()
	sess := store.Session{Hash: HashSecret(cookie), UserID: u.ID, CSRF: csrf, CreatedAt: now, ExpiresAt: now.Add(s.cfg.SessionTTL)}
	if err := s.st.CreateSession(ctx, sess); err != nil {
		return "", store.Session{}, err
	}
	return cookie, sess, nil
}

// Session returns the principal of a session cookie; weft.ErrNotFound when
// it is unknown, expired, or its user is gone or disabled.
func (s *Service) Session(ctx context.Context, cookie string) (Principal, error) {
	if cookie == "" || len(cookie) > 128 {
		return Principal{}, weft.ErrNotFound
	}
	sess, err := s.st.GetSession(ctx, HashSecret(cookie), s.cfg.Now())
	if err != nil {
		return Principal{}, err
	}
	u, err := s.st.GetUser(ctx, sess.UserID)
	if err != nil {
		return Principal{}, err
	}
	if u.Disabled {
		return Principal{}, fmt.Errorf("user %s is disabled: %w", u.Email, weft.ErrNotFound)
	}
	p := userPrincipal(u, ViaSession)
	p.CSRF = sess.CSRF
	return p, nil
}

// EndSession signs a session out.
func (s *Service) EndSession(ctx context.Context, cookie string) error {
	if cookie == "" || len(cookie) > 128 {
		return nil
	}
	return s.st.DeleteSession(ctx, HashSecret(cookie))
}

// touchEvery is how stale a token's last-used time may get: recording
// every use would make each API call a write.
const touchEvery = time.Minute

// Token returns the principal of an API token; weft.ErrNotFound when it is
// unknown, revoked, expired, or its user is gone or disabled.
func (s *Service) Token(ctx context.Context, value string) (Principal, error) {
	if !looksLikeToken(value) {
		return Principal{}, weft.ErrNotFound
	}
	t, err := s.st.TokenByHash(ctx, HashSecret(value))
	if err != nil {
		return Principal{}, err
	}
	now := s.cfg.Now()
	switch {
	case t.RevokedAt != nil:
		return Principal{}, fmt.Errorf("token %s was revoked: %w", t.ID, weft.ErrNotFound)
	case t.ExpiresAt != nil && !now.Before(*t.ExpiresAt):
		return Principal{}, fmt.Errorf("token %s expired: %w", t.ID, weft.ErrNotFound)
	}
	u, err := s.st.GetUser(ctx, t.UserID)
	if err != nil {
		return Principal{}, err
	}
	if u.Disabled {
		return Principal{}, fmt.Errorf("the owner of token %s is disabled: %w", t.ID, weft.ErrNotFound)
	}
	if t.LastUsedAt == nil || now.Sub(*t.LastUsedAt) >= touchEvery {
		if err := s.st.TouchToken(ctx, t.ID, now); err != nil {
			s.cfg.Logger.Warn("recording a token's use", "token", t.ID, "err", err)
		}
	}
	p := userPrincipal(u, ViaToken)
	p.Name = fmt.Sprintf("%s (token %s)", u.Email, t.Name)
	p.TokenID, p.Scopes = t.ID, t.Scopes
	if p.Scopes == nil {
		p.Scopes = []string{}
	}
	return p, nil
}

// OIDCEnabled reports whether SSO sign-in is configured.
func (s *Service) OIDCEnabled() bool { return s.oidc != nil }

// OIDCName is the label of the SSO button.
func (s *Service) OIDCName() string {
	if s.oidc == nil {
		return ""
	}
	return s.oidc.cfg.Name
}
