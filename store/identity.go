package store

import (
	"context"
	"time"
)

// User kinds: a person who signs in, or a service account that only holds
// API tokens.
const (
	UserPerson  = "user"
	UserService = "service"
)

// User is a console user or a service account. Email is unique (stored
// lower-case); a service account's "email" is its name.
type User struct {
	ID    string `json:"id"`
	Email string `json:"email"`
	Name  string `json:"name,omitempty"`
	Role  string `json:"role"`
	Kind  string `json:"kind"`
	// PasswordHash is the argon2id hash in PHC form; empty for users who
	// sign in through OIDC only and for service accounts.
	PasswordHash string `json:"-"`
	// Subject is "<issuer> <sub>" of the OIDC identity linked to the user.
	Subject     string     `json:"-"`
	Disabled    bool       `json:"disabled"`
	CreatedAt   time.Time  `json:"created_at"`
	UpdatedAt   time.Time  `json:"updated_at"`
	LastLoginAt *time.Time `json:"last_login_at,omitempty"`
}

// APIToken is a token a user created for themself or for a service
// account. The store keeps the SHA-256 of the token, never the token.
type APIToken struct {
	ID         string     `json:"id"`
	UserID     string     `json:"user_id"`
	Name       string     `json:"name"`
	Hash       string     `json:"-"` // hex SHA-256 of the token
	Scopes     []string   `json:"scopes"`
	CreatedBy  string     `json:"created_by"`
	CreatedAt  time.Time  `json:"created_at"`
	ExpiresAt  *time.Time `json:"expires_at,omitempty"`
	LastUsedAt *time.Time `json:"last_used_at,omitempty"`
	RevokedAt  *time.Time `json:"revoked_at,omitempty"`
}

// Session is a console sign-in. The store keeps the SHA-256 of the cookie
// value; CSRF is the synchronizer token state-changing requests echo.
type Session struct {
	Hash      string    `json:"-"`
	UserID    string    `json:"user_id"`
	CSRF      string    `json:"-"`
	CreatedAt time.Time `json:"created_at"`
	ExpiresAt time.Time `json:"expires_at"`
}

// Identity stores users, API tokens and console sessions.
type Identity interface {
	// CreateUser stores a new user; weft.ErrConflict if the email or the
	// OIDC subject is taken.
	CreateUser(ctx context.Context, u User) (User, error)
	// UpdateUser replaces name, role, password hash, subject and disabled of
	// u.ID (weft.ErrNotFound if absent, weft.ErrConflict on a taken subject).
	UpdateUser(ctx context.Context, u User) (User, error)
	// GetUser, GetUserByEmail and GetUserBySubject return weft.ErrNotFound
	// when nobody matches.
	GetUser(ctx context.Context, id string) (User, error)
	GetUserByEmail(ctx context.Context, email string) (User, error)
	GetUserBySubject(ctx context.Context, subject string) (User, error)
	// ListUsers lists every user and service account by email.
	ListUsers(ctx context.Context) ([]User, error)
	// DeleteUser removes a user with their tokens and sessions.
	DeleteUser(ctx context.Context, id string) error
	// TouchUserLogin records a sign-in.
	TouchUserLogin(ctx context.Context, id string, at time.Time) error

	// CreateToken stores a token (Hash must be unique).
	CreateToken(ctx context.Context, t APIToken) (APIToken, error)
	// TokenByHash finds a token by the hex SHA-256 of its value, revoked
	// or expired ones included (weft.ErrNotFound otherwise).
	TokenByHash(ctx context.Context, hash string) (APIToken, error)
	// GetToken returns one token by id.
	GetToken(ctx context.Context, id string) (APIToken, error)
	// ListTokens lists the tokens of userID, or every token when userID is
	// empty, newest first.
	ListTokens(ctx context.Context, userID string) ([]APIToken, error)
	// RevokeToken marks a token revoked; revoking twice keeps the first
	// time. weft.ErrNotFound if absent.
	RevokeToken(ctx context.Context, id string, at time.Time) (APIToken, error)
	// TouchToken records the token's last use.
	TouchToken(ctx context.Context, id string, at time.Time) error

	// CreateSession stores a session; GetSession returns it by hash
	// (weft.ErrNotFound when absent or expired at now).
	CreateSession(ctx context.Context, s Session) error
	GetSession(ctx context.Context, hash string, now time.Time) (Session, error)
	// DeleteSession signs a session out (no error when absent).
	DeleteSession(ctx context.Context, hash string) error
	// PruneSessions deletes up to batch sessions expired before now.
	PruneSessions(ctx context.Context, now time.Time, batch int) (int, error)
}
