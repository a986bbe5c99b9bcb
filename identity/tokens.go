package identity

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/store"
)

// TokenInput creates an API token.
type TokenInput struct {
	Name string `json:"name"`
	// UserID is the service account the token is for; empty: the caller.
	UserID string   `json:"user_id"`
	Scopes []string `json:"scopes"`
	// ExpiresIn is a Go duration or a number of days ("30d"); empty takes
	// the default (90 days).
	ExpiresIn string `json:"expires_in"`
}

func parseTTL(s string) (time.Duration, error) {
	if d, ok := strings.CutSuffix(s, "d"); ok {
		var n int
		if _, err := fmt.Sscanf(d, "%d", &n); err == nil && n > 0 && n < 100000 {
			return time.Duration(n) * 24 * time.Hour, nil
		}
	}
	ttl, err := time.ParseDuration(s)
	if err != nil || ttl <= 0 {
		return 0, fmt.Errorf("expires_in %q is not a positive duration such as 720h or 30d: %w", s, weft.ErrInvalid)
	}
	return ttl, nil
}

// CreateToken makes a token for by, or for a service account when by has
// users:write. It returns the stored record and the token, which is never
// shown again.
func (s *Service) CreateToken(ctx context.Context, by Principal, in TokenInput) (store.APIToken, string, error) {
	if !by.Allowed(TokensOwn, "") {
		return store.APIToken{}, "", fmt.Errorf("tokens are made by signed-in users or with the admin token, not by other tokens: %w", ErrForbidden)
	}
	in.Name = strings.TrimSpace(in.Name)
	if in.Name == "" || len(in.Name) > 100 {
		return store.APIToken{}, "", fmt.Errorf("a token needs a name of at most 100 characters (what it is for): %w", weft.ErrInvalid)
	}
	if err := ValidScopes(in.Scopes); err != nil {
		return store.APIToken{}, "", err
	}
	owner := by.UserID
	if in.UserID != "" && in.UserID != by.UserID {
		u, err := s.st.GetUser(ctx, in.UserID)
		if err != nil {
			return store.APIToken{}, "", err
		}
		if u.Kind != store.UserService {
			return store.APIToken{}, "", fmt.Errorf("tokens are made for yourself or for a service account; %s is a person: %w", u.Email, ErrForbidden)
		}
		if !by.Allowed(UsersWrite, "") {
			return store.APIToken{}, "", fmt.Errorf("making a service account's token needs %s: %w", UsersWrite, ErrForbidden)
		}
		owner = u.ID
	}
	if owner == "" {
		return store.APIToken{}, "", fmt.Errorf("the admin token has no user to own a token: create a user or a service account and pass its user_id: %w", weft.ErrInvalid)
	}
	ttl := s.cfg.TokenTTL
	if in.ExpiresIn != "" {
		var err error
		if ttl, err = parseTTL(in.ExpiresIn); err != nil {
			return store.APIToken{}, "", err
		}
	}
	if ttl > s.cfg.MaxTokenTTL {
		return store.APIToken{}, "", fmt.Errorf("expires_in is longer than the limit of %s: %w", s.cfg.MaxTokenTTL, weft.ErrInvalid)
	}
	value, err := newSecret(TokenPrefix)
	if err != nil {
		return store.APIToken{}, "", err
	}
	now := s.cfg.Now()
	exp := now.Add(ttl)
	t, err := s.st.CreateToken(ctx, store.APIToken{ID: newID("tok_"), UserID: owner, Name: in.Name,
		Hash: HashSecret(value), Scopes: in.Scopes, CreatedBy: by.Name, CreatedAt: now, ExpiresAt: &exp})
	if err != nil {
		return store.APIToken{}, "", err
	}
	return t, value, nil
}

// ListTokens lists by's tokens, or every token when all is set (users:read).
func (s *Service) ListTokens(ctx context.Context, by Principal, all bool) ([]store.APIToken, error) {
	if all {
		if !by.Allowed(UsersRead, "") {
			return nil, fmt.Errorf("listing every token needs %s: %w", UsersRead, ErrForbidden)
		}
		return s.st.ListTokens(ctx, "")
	}
	if by.UserID == "" {
		return []store.APIToken{}, nil
	}
	return s.st.ListTokens(ctx, by.UserID)
}

// RevokeToken revokes one of by's tokens, or any token with users:write.
func (s *Service) RevokeToken(ctx context.Context, by Principal, id string) (store.APIToken, error) {
	t, err := s.st.GetToken(ctx, id)
	if err != nil {
		return t, err
	}
	if t.UserID != by.UserID && !by.Allowed(UsersWrite, "") {
		return t, fmt.Errorf("revoking another user's token needs %s: %w", UsersWrite, ErrForbidden)
	}
	if t.UserID == by.UserID && !by.Allowed(TokensOwn, "") {
		return t, fmt.Errorf("a token cannot revoke tokens: %w", ErrForbidden)
	}
	return s.st.RevokeToken(ctx, id, s.cfg.Now())
}
