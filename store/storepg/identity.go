package storepg

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/store"
)

var _ store.Identity = (*Store)(nil)

const userCols = "id, email, name, role, kind, password_hash, subject, disabled, created_at, updated_at, last_login_at"

func scanUser(row pgx.Row) (store.User, error) {
	var u store.User
	var subject *string
	if err := row.Scan(&u.ID, &u.Email, &u.Name, &u.Role, &u.Kind, &u.PasswordHash, &subject, &u.Disabled, &u.CreatedAt, &u.UpdatedAt, &u.LastLoginAt); err != nil {
		return u, err
	}
	if subject != nil {
		u.Subject = *subject
	}
	u.CreatedAt, u.UpdatedAt, u.LastLoginAt = u.CreatedAt.UTC(), u.UpdatedAt.UTC(), utcPtr(u.LastLoginAt)
	return u, nil
}

// CreateUser implements store.Identity.
func (s *Store) CreateUser(ctx context.Context, u store.User) (store.User, error) {
	u.Email = strings.ToLower(u.Email)
	now := ts(time.Now()).UTC()
	_, err := s.pool.Exec(ctx, "INSERT INTO users ("+userCols+") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9, NULL)",
		u.ID, u.Email, u.Name, u.Role, u.Kind, u.PasswordHash, nullString(u.Subject), u.Disabled, now)
	if pgCode(err) == codeUnique {
		err = fmt.Errorf("a user with this email or sign-in already exists: %w", weft.ErrConflict)
	}
	if err != nil {
		return store.User{}, fmt.Errorf("creating user %q: %w", u.Email, err)
	}
	u.CreatedAt, u.UpdatedAt = now, now
	return u, nil
}

// UpdateUser implements store.Identity.
func (s *Store) UpdateUser(ctx context.Context, u store.User) (store.User, error) {
	out, err := scanUser(s.pool.QueryRow(ctx, "UPDATE users SET name = $1, role = $2, password_hash = $3, subject = $4, disabled = $5, updated_at = $6 WHERE id = $7 RETURNING "+userCols,
		u.Name, u.Role, u.PasswordHash, nullString(u.Subject), u.Disabled, ts(time.Now()), u.ID))
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		err = weft.ErrNotFound
	case pgCode(err) == codeUnique:
		err = fmt.Errorf("another user has this sign-in: %w", weft.ErrConflict)
	}
	if err != nil {
		return store.User{}, fmt.Errorf("updating user %q: %w", u.ID, err)
	}
	return out, nil
}

func (s *Store) userWhere(ctx context.Context, what, where string, arg any) (store.User, error) {
	u, err := scanUser(s.pool.QueryRow(ctx, "SELECT "+userCols+" FROM users WHERE "+where+" = $1", arg))
	if errors.Is(err, pgx.ErrNoRows) {
		return u, fmt.Errorf("user %s: %w", what, weft.ErrNotFound)
	}
	if err != nil {
		return u, fmt.Errorf("reading user %s: %w", what, err)
	}
	return u, nil
}

// GetUser implements store.Identity.
func (s *Store) GetUser(ctx context.Context, id string) (store.User, error) {
	return s.userWhere(ctx, fmt.Sprintf("%q", id), "id", id)
}

// GetUserByEmail implements store.Identity.
func (s *Store) GetUserByEmail(ctx context.Context, email string) (store.User, error) {
	return s.userWhere(ctx, fmt.Sprintf("%q", email), "email", strings.ToLower(email))
}

// GetUserBySubject implements store.Identity.
func (s *Store) GetUserBySubject(ctx context.Context, subject string) (store.User, error) {
	return s.userWhere(ctx, "by sign-in subject", "subject", subject)
}

// ListUsers implements store.Identity.
func (s *Store) ListUsers(ctx context.Context) ([]store.User, error) {
	rows, err := s.pool.Query(ctx, "SELECT "+userCols+" FROM users ORDER BY email")
	if err != nil {
		return nil, fmt.Errorf("listing users: %w", err)
	}
	defer rows.Close()
	var out []store.User
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, fmt.Errorf("listing users: %w", err)
		}
		out = append(out, u)
	}
	return out, rows.Err()
}

// DeleteUser implements store.Identity (tokens and sessions cascade).
func (s *Store) DeleteUser(ctx context.Context, id string) error {
	tag, err := s.pool.Exec(ctx, "DELETE FROM users WHERE id = $1", id)
	if err == nil && tag.RowsAffected() == 0 {
		err = weft.ErrNotFound
	}
	if err != nil {
		return fmt.Errorf("deleting user %q: %w", id, err)
	}
	return nil
}

// TouchUserLogin implements store.Identity.
func (s *Store) TouchUserLogin(ctx context.Context, id string, at time.Time) error {
	if _, err := s.pool.Exec(ctx, "UPDATE users SET last_login_at = $1 WHERE id = $2", ts(at), id); err != nil {
		return fmt.Errorf("recording sign-in: %w", err)
	}
	return nil
}

const tokenCols = "id, user_id, name, hash, scopes, created_by, created_at, expires_at, last_used_at, revoked_at"

func scanToken(row pgx.Row) (store.APIToken, error) {
	var t store.APIToken
	var scopes string
	if err := row.Scan(&t.ID, &t.UserID, &t.Name, &t.Hash, &scopes, &t.CreatedBy, &t.CreatedAt, &t.ExpiresAt, &t.LastUsedAt, &t.RevokedAt); err != nil {
		return t, err
	}
	if err := json.Unmarshal([]byte(scopes), &t.Scopes); err != nil {
		return t, fmt.Errorf("decoding scopes: %w", err)
	}
	t.CreatedAt, t.ExpiresAt, t.LastUsedAt, t.RevokedAt = t.CreatedAt.UTC(), utcPtr(t.ExpiresAt), utcPtr(t.LastUsedAt), utcPtr(t.RevokedAt)
	return t, nil
}

// CreateToken implements store.Identity.
func (s *Store) CreateToken(ctx context.Context, t store.APIToken) (store.APIToken, error) {
	scopes, err := json.Marshal(t.Scopes)
	if err != nil {
		return t, fmt.Errorf("encoding scopes: %w", err)
	}
	out, err := scanToken(s.pool.QueryRow(ctx, "INSERT INTO api_tokens ("+tokenCols+") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, NULL, NULL) RETURNING "+tokenCols,
		t.ID, t.UserID, t.Name, t.Hash, string(scopes), t.CreatedBy, ts(t.CreatedAt), nullTime(t.ExpiresAt)))
	switch pgCode(err) {
	case codeUnique:
		err = weft.ErrConflict
	case codeForeignKey:
		err = fmt.Errorf("user %q: %w", t.UserID, weft.ErrNotFound)
	}
	if err != nil {
		return store.APIToken{}, fmt.Errorf("creating token %q: %w", t.Name, err)
	}
	return out, nil
}

func (s *Store) tokenWhere(ctx context.Context, where string, arg any) (store.APIToken, error) {
	t, err := scanToken(s.pool.QueryRow(ctx, "SELECT "+tokenCols+" FROM api_tokens WHERE "+where+" = $1", arg))
	if errors.Is(err, pgx.ErrNoRows) {
		return t, fmt.Errorf("token: %w", weft.ErrNotFound)
	}
	if err != nil {
		return t, fmt.Errorf("reading token: %w", err)
	}
	return t, nil
}

// TokenByHash implements store.Identity.
func (s *Store) TokenByHash(ctx context.Context, hash string) (store.APIToken, error) {
	return s.tokenWhere(ctx, "hash", hash)
}

// GetToken implements store.Identity.
func (s *Store) GetToken(ctx context.Context, id string) (store.APIToken, error) {
	return s.tokenWhere(ctx, "id", id)
}

// ListTokens implements store.Identity.
func (s *Store) ListTokens(ctx context.Context, userID string) ([]store.APIToken, error) {
	rows, err := s.pool.Query(ctx, "SELECT "+tokenCols+" FROM api_tokens WHERE $1 = '' OR user_id = $1 ORDER BY created_at DESC, id DESC", userID)
	if err != nil {
		return nil, fmt.Errorf("listing tokens: %w", err)
	}
	defer rows.Close()
	var out []store.APIToken
	for rows.Next() {
		t, err := scanToken(rows)
		if err != nil {
			return nil, fmt.Errorf("listing tokens: %w", err)
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// RevokeToken implements store.Identity.
func (s *Store) RevokeToken(ctx context.Context, id string, at time.Time) (store.APIToken, error) {
	t, err := scanToken(s.pool.QueryRow(ctx, "UPDATE api_tokens SET revoked_at = COALESCE(revoked_at, $1) WHERE id = $2 RETURNING "+tokenCols, ts(at), id))
	if errors.Is(err, pgx.ErrNoRows) {
		err = weft.ErrNotFound
	}
	if err != nil {
		return t, fmt.Errorf("revoking token %q: %w", id, err)
	}
	return t, nil
}

// TouchToken implements store.Identity.
func (s *Store) TouchToken(ctx context.Context, id string, at time.Time) error {
	if _, err := s.pool.Exec(ctx, "UPDATE api_tokens SET last_used_at = $1 WHERE id = $2", ts(at), id); err != nil {
		return fmt.Errorf("recording token use: %w", err)
	}
	return nil
}

// CreateSession implements store.Identity.
func (s *Store) CreateSession(ctx context.Context, sess store.Session) error {
	if _, err := s.pool.Exec(ctx, "INSERT INTO sessions (hash, user_id, csrf, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)",
		sess.Hash, sess.UserID, sess.CSRF, ts(sess.CreatedAt), ts(sess.ExpiresAt)); err != nil {
		return fmt.Errorf("creating session: %w", err)
	}
	return nil
}

// GetSession implements store.Identity.
func (s *Store) GetSession(ctx context.Context, hash string, now time.Time) (store.Session, error) {
	var sess store.Session
	err := s.pool.QueryRow(ctx, "SELECT hash, user_id, csrf, created_at, expires_at FROM sessions WHERE hash = $1 AND expires_at > $2", hash, ts(now)).
		Scan(&sess.Hash, &sess.UserID, &sess.CSRF, &sess.CreatedAt, &sess.ExpiresAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return sess, fmt.Errorf("session: %w", weft.ErrNotFound)
	}
	if err != nil {
		return sess, fmt.Errorf("reading session: %w", err)
	}
	sess.CreatedAt, sess.ExpiresAt = sess.CreatedAt.UTC(), sess.ExpiresAt.UTC()
	return sess, nil
}

// DeleteSession implements store.Identity.
func (s *Store) DeleteSession(ctx context.Context, hash string) error {
	if _, err := s.pool.Exec(ctx, "DELETE FROM sessions WHERE hash = $1", hash); err != nil {
		return fmt.Errorf("deleting session: %w", err)
	}
	return nil
}

// PruneSessions implements store.Identity.
func (s *Store) PruneSessions(ctx context.Context, now time.Time, batch int) (int, error) {
	tag, err := s.pool.Exec(ctx, "DELETE FROM sessions WHERE hash IN (SELECT hash FROM sessions WHERE expires_at <= $1 LIMIT $2)", ts(now), batch)
	if err != nil {
		return 0, fmt.Errorf("pruning sessions: %w", err)
	}
	return int(tag.RowsAffected()), nil
}
