package storesqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/store"
)

var _ store.Identity = (*Store)(nil)

const userCols = "id, email, name, role, kind, password_hash, subject, disabled, created_at, updated_at, last_login_at"

func scanUser(sc scanner) (store.User, error) {
	var u store.User
	var subject sql.NullString
	var created, updated int64
	var login sql.NullInt64
	if err := sc.Scan(&u.ID, &u.Email, &u.Name, &u.Role, &u.Kind, &u.PasswordHash, &subject, &u.Disabled, &created, &updated, &login); err != nil {
		return u, err
	}
	u.Subject = subject.String
	u.CreatedAt, u.UpdatedAt, u.LastLoginAt = fromMicros(created), fromMicros(updated), timePtr(login)
	return u, nil
}

// CreateUser implements store.Identity.
func (s *Store) CreateUser(ctx context.Context, u store.User) (store.User, error) {
	u.Email = strings.ToLower(u.Email)
	err := s.do(ctx, func(w *writer, now time.Time) error {
		u.CreatedAt, u.UpdatedAt = fromMicros(micros(now)), fromMicros(micros(now))
		_, err := w.conn.ExecContext(w.ctx, "INSERT INTO users ("+userCols+") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL)",
			u.ID, u.Email, u.Name, u.Role, u.Kind, u.PasswordHash, nullString(u.Subject), u.Disabled, micros(now), micros(now))
		if isUnique(err) {
			return fmt.Errorf("a user with this email or sign-in already exists: %w", weft.ErrConflict)
		}
		return err
	})
	if err != nil {
		return store.User{}, fmt.Errorf("creating user %q: %w", u.Email, err)
	}
	return u, nil
}

// UpdateUser implements store.Identity.
func (s *Store) UpdateUser(ctx context.Context, u store.User) (store.User, error) {
	var out store.User
	err := s.do(ctx, func(w *writer, now time.Time) error {
		res, err := w.conn.ExecContext(w.ctx, "UPDATE users SET name = ?, role = ?, password_hash = ?, subject = ?, disabled = ?, updated_at = ? WHERE id = ?",
			u.Name, u.Role, u.PasswordHash, nullString(u.Subject), u.Disabled, micros(now), u.ID)
		if isUnique(err) {
			return fmt.Errorf("another user has this sign-in: %w", weft.ErrConflict)
		}
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return weft.ErrNotFound
		}
		out, err = scanUser(w.conn.QueryRowContext(w.ctx, "SELECT "+userCols+" FROM users WHERE id = ?", u.ID))
		return err
	})
	if err != nil {
		return store.User{}, fmt.Errorf("updating user %q: %w", u.ID, err)
	}
	return out, nil
}

func (s *Store) userWhere(ctx context.Context, what, where string, arg any) (store.User, error) {
	u, err := scanUser(s.rdb.QueryRowContext(ctx, "SELECT "+userCols+" FROM users WHERE "+where+" = ?", arg))
	if errors.Is(err, sql.ErrNoRows) {
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
	rows, err := s.rdb.QueryContext(ctx, "SELECT "+userCols+" FROM users ORDER BY email")
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

// DeleteUser implements store.Identity.
func (s *Store) DeleteUser(ctx context.Context, id string) error {
	err := s.do(ctx, func(w *writer, _ time.Time) error {
		for _, q := range []string{"DELETE FROM sessions WHERE user_id = ?", "DELETE FROM api_tokens WHERE user_id = ?"} {
			if _, err := w.conn.ExecContext(w.ctx, q, id); err != nil {
				return err
			}
		}
		res, err := w.conn.ExecContext(w.ctx, "DELETE FROM users WHERE id = ?", id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return weft.ErrNotFound
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("deleting user %q: %w", id, err)
	}
	return nil
}

// TouchUserLogin implements store.Identity.
func (s *Store) TouchUserLogin(ctx context.Context, id string, at time.Time) error {
	return s.exec(ctx, "recording sign-in", "UPDATE users SET last_login_at = ? WHERE id = ?", micros(at), id)
}

func (s *Store) exec(ctx context.Context, what, q string, args ...any) error {
	err := s.do(ctx, func(w *writer, _ time.Time) error {
		_, err := w.conn.ExecContext(w.ctx, q, args...)
		return err
	})
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	return nil
}

const tokenCols = "id, user_id, name, hash, scopes, created_by, created_at, expires_at, last_used_at, revoked_at"

func scanToken(sc scanner) (store.APIToken, error) {
	var t store.APIToken
	var scopes string
	var created int64
	var expires, used, revoked sql.NullInt64
	if err := sc.Scan(&t.ID, &t.UserID, &t.Name, &t.Hash, &scopes, &t.CreatedBy, &created, &expires, &used, &revoked); err != nil {
		return t, err
	}
	if err := json.Unmarshal([]byte(scopes), &t.Scopes); err != nil {
		return t, fmt.Errorf("decoding scopes: %w", err)
	}
	t.CreatedAt, t.ExpiresAt, t.LastUsedAt, t.RevokedAt = fromMicros(created), timePtr(expires), timePtr(used), timePtr(revoked)
	return t, nil
}

// CreateToken implements store.Identity.
func (s *Store) CreateToken(ctx context.Context, t store.APIToken) (store.APIToken, error) {
	scopes, err := json.Marshal(t.Scopes)
	if err != nil {
		return t, fmt.Errorf("encoding scopes: %w", err)
	}
	t.CreatedAt = fromMicros(micros(t.CreatedAt))
	err = s.do(ctx, func(w *writer, _ time.Time) error {
		_, err := w.conn.ExecContext(w.ctx, "INSERT INTO api_tokens ("+tokenCols+") VALUES (?, ?, ?, ?, ?, ?, ?, ?, NULL, NULL)",
			t.ID, t.UserID, t.Name, t.Hash, string(scopes), t.CreatedBy, micros(t.CreatedAt), nullMicros(t.ExpiresAt))
		if isUnique(err) {
			return weft.ErrConflict
		}
		if isForeignKey(err) {
			return fmt.Errorf("user %q: %w", t.UserID, weft.ErrNotFound)
		}
		return err
	})
	if err != nil {
		return store.APIToken{}, fmt.Errorf("creating token %q: %w", t.Name, err)
	}
	if t.ExpiresAt != nil {
		e := fromMicros(micros(*t.ExpiresAt))
		t.ExpiresAt = &e
	}
	return t, nil
}

func (s *Store) tokenWhere(ctx context.Context, where string, arg any) (store.APIToken, error) {
	t, err := scanToken(s.rdb.QueryRowContext(ctx, "SELECT "+tokenCols+" FROM api_tokens WHERE "+where+" = ?", arg))
	if errors.Is(err, sql.ErrNoRows) {
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
	rows, err := s.rdb.QueryContext(ctx, "SELECT "+tokenCols+" FROM api_tokens WHERE ? = '' OR user_id = ? ORDER BY created_at DESC, id DESC", userID, userID)
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
	var t store.APIToken
	err := s.do(ctx, func(w *writer, _ time.Time) error {
		res, err := w.conn.ExecContext(w.ctx, "UPDATE api_tokens SET revoked_at = COALESCE(revoked_at, ?) WHERE id = ?", micros(at), id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return weft.ErrNotFound
		}
		t, err = scanToken(w.conn.QueryRowContext(w.ctx, "SELECT "+tokenCols+" FROM api_tokens WHERE id = ?", id))
		return err
	})
	if err != nil {
		// Not t: when ctx ended first the writer may still be filling it.
		return store.APIToken{}, fmt.Errorf("revoking token %q: %w", id, err)
	}
	return t, nil
}

// TouchToken implements store.Identity.
func (s *Store) TouchToken(ctx context.Context, id string, at time.Time) error {
	return s.exec(ctx, "recording token use", "UPDATE api_tokens SET last_used_at = ? WHERE id = ?", micros(at), id)
}

// CreateSession implements store.Identity.
func (s *Store) CreateSession(ctx context.Context, sess store.Session) error {
	return s.exec(ctx, "creating session", "INSERT INTO sessions (hash, user_id, csrf, created_at, expires_at) VALUES (?, ?, ?, ?, ?)",
		sess.Hash, sess.UserID, sess.CSRF, micros(sess.CreatedAt), micros(sess.ExpiresAt))
}

// GetSession implements store.Identity.
func (s *Store) GetSession(ctx context.Context, hash string, now time.Time) (store.Session, error) {
	var sess store.Session
	var created, expires int64
	err := s.rdb.QueryRowContext(ctx, "SELECT hash, user_id, csrf, created_at, expires_at FROM sessions WHERE hash = ? AND expires_at > ?", hash, micros(now)).
		Scan(&sess.Hash, &sess.UserID, &sess.CSRF, &created, &expires)
	if errors.Is(err, sql.ErrNoRows) {
		return sess, fmt.Errorf("session: %w", weft.ErrNotFound)
	}
	if err != nil {
		return sess, fmt.Errorf("reading session: %w", err)
	}
	sess.CreatedAt, sess.ExpiresAt = fromMicros(created), fromMicros(expires)
	return sess, nil
}

// DeleteSession implements store.Identity.
func (s *Store) DeleteSession(ctx context.Context, hash string) error {
	return s.exec(ctx, "deleting session", "DELETE FROM sessions WHERE hash = ?", hash)
}

// PruneSessions implements store.Identity.
func (s *Store) PruneSessions(ctx context.Context, now time.Time, batch int) (int, error) {
	var n int64
	err := s.do(ctx, func(w *writer, _ time.Time) error {
		res, err := w.conn.ExecContext(w.ctx, "DELETE FROM sessions WHERE hash IN (SELECT hash FROM sessions WHERE expires_at <= ? LIMIT ?)", micros(now), batch)
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("pruning sessions: %w", err)
	}
	return int(n), nil
}
