package storesqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/store"
)

var (
	_ store.Credentials   = (*Store)(nil)
	_ store.Cache         = (*Store)(nil)
	_ store.LimiterStates = (*Store)(nil)
)

const credentialCols = "name, type, sealed, settings, token, created_at, updated_at"

func scanCredential(row interface{ Scan(...any) error }) (store.CredentialRecord, error) {
	var rec store.CredentialRecord
	var settings []byte
	var created, updated int64
	if err := row.Scan(&rec.Name, &rec.Type, &rec.Sealed, &settings, &rec.Token, &created, &updated); err != nil {
		return rec, err
	}
	if len(settings) > 0 {
		rec.Settings = json.RawMessage(settings)
	}
	rec.CreatedAt, rec.UpdatedAt = fromMicros(created), fromMicros(updated)
	return rec, nil
}

// PutCredential implements store.Credentials.
func (s *Store) PutCredential(ctx context.Context, rec store.CredentialRecord) (store.CredentialRecord, error) {
	err := s.do(ctx, func(w *writer, now time.Time) error {
		var created int64
		err := w.conn.QueryRowContext(w.ctx, "SELECT created_at FROM credentials WHERE name = ?", rec.Name).Scan(&created)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			created = now.UnixMicro()
		case err != nil:
			return fmt.Errorf("reading credential: %w", err)
		}
		upd := now.UnixMicro()
		if _, err := w.conn.ExecContext(w.ctx, `INSERT INTO credentials (`+credentialCols+`) VALUES (?, ?, ?, ?, NULL, ?, ?)
			ON CONFLICT (name) DO UPDATE SET type = excluded.type, sealed = excluded.sealed, settings = excluded.settings,
			token = NULL, updated_at = excluded.updated_at`,
			rec.Name, rec.Type, rec.Sealed, []byte(rec.Settings), created, upd); err != nil {
			return fmt.Errorf("writing credential: %w", err)
		}
		rec.Token = nil
		rec.CreatedAt, rec.UpdatedAt = fromMicros(created), fromMicros(upd)
		return nil
	})
	if err != nil {
		return store.CredentialRecord{}, fmt.Errorf("storing credential %q: %w", rec.Name, err)
	}
	return rec, nil
}

// GetCredential implements store.Credentials.
func (s *Store) GetCredential(ctx context.Context, name string) (store.CredentialRecord, error) {
	rec, err := scanCredential(s.rdb.QueryRowContext(ctx, "SELECT "+credentialCols+" FROM credentials WHERE name = ?", name))
	if errors.Is(err, sql.ErrNoRows) {
		return rec, fmt.Errorf("credential %q: %w", name, weft.ErrNotFound)
	}
	if err != nil {
		return rec, fmt.Errorf("reading credential %q: %w", name, err)
	}
	return rec, nil
}

// ListCredentials implements store.Credentials.
func (s *Store) ListCredentials(ctx context.Context) ([]store.CredentialRecord, error) {
	rows, err := s.rdb.QueryContext(ctx, "SELECT "+credentialCols+" FROM credentials ORDER BY name")
	if err != nil {
		return nil, fmt.Errorf("listing credentials: %w", err)
	}
	defer rows.Close()
	var out []store.CredentialRecord
	for rows.Next() {
		rec, err := scanCredential(rows)
		if err != nil {
			return nil, fmt.Errorf("listing credentials: %w", err)
		}
		out = append(out, rec)
	}
	return out, rows.Err()
}

// DeleteCredential implements store.Credentials.
func (s *Store) DeleteCredential(ctx context.Context, name string) error {
	return s.do(ctx, func(w *writer, _ time.Time) error {
		res, err := w.conn.ExecContext(w.ctx, "DELETE FROM credentials WHERE name = ?", name)
		if err != nil {
			return fmt.Errorf("deleting credential %q: %w", name, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("credential %q: %w", name, weft.ErrNotFound)
		}
		return nil
	})
}

// SetCredentialToken implements store.Credentials.
func (s *Store) SetCredentialToken(ctx context.Context, name string, token []byte) error {
	return s.do(ctx, func(w *writer, _ time.Time) error {
		res, err := w.conn.ExecContext(w.ctx, "UPDATE credentials SET token = ? WHERE name = ?", token, name)
		if err != nil {
			return fmt.Errorf("storing token of credential %q: %w", name, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("credential %q: %w", name, weft.ErrNotFound)
		}
		return nil
	})
}

// UpdateCredentialToken implements store.Credentials. One process owns a
// SQLite database, so a lock per name in this process is enough; fn runs
// outside the writer, which a slow token endpoint must not hold up.
func (s *Store) UpdateCredentialToken(ctx context.Context, name string, fn func([]byte) ([]byte, error)) error {
	mu, _ := s.tokenLocks.LoadOrStore(name, &sync.Mutex{})
	mu.(*sync.Mutex).Lock()
	defer mu.(*sync.Mutex).Unlock()
	rec, err := s.GetCredential(ctx, name)
	if err != nil {
		return err
	}
	next, err := fn(rec.Token)
	if err != nil || next == nil {
		return err
	}
	return s.SetCredentialToken(ctx, name, next)
}

// ResealCredentials implements store.Credentials.
func (s *Store) ResealCredentials(ctx context.Context, fn func(rec *store.CredentialRecord) error) (int, error) {
	n := 0
	err := s.do(ctx, func(w *writer, _ time.Time) error {
		n = 0
		rows, err := w.conn.QueryContext(w.ctx, "SELECT "+credentialCols+" FROM credentials ORDER BY name")
		if err != nil {
			return fmt.Errorf("reading credentials: %w", err)
		}
		var recs []store.CredentialRecord
		for rows.Next() {
			rec, err := scanCredential(rows)
			if err != nil {
				rows.Close()
				return err
			}
			recs = append(recs, rec)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for i := range recs {
			if err := fn(&recs[i]); err != nil {
				return err
			}
			if _, err := w.conn.ExecContext(w.ctx, "UPDATE credentials SET sealed = ?, token = ? WHERE name = ?",
				recs[i].Sealed, recs[i].Token, recs[i].Name); err != nil {
				return fmt.Errorf("rewriting credential %q: %w", recs[i].Name, err)
			}
			n++
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("resealing credentials: %w", err)
	}
	return n, nil
}

// GetCached implements store.Cache.
func (s *Store) GetCached(ctx context.Context, key string, now time.Time) (json.RawMessage, bool, error) {
	var v []byte
	err := s.rdb.QueryRowContext(ctx, "SELECT value FROM step_cache WHERE key = ? AND expires_at > ?", key, now.UnixMicro()).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("reading cache: %w", err)
	}
	return json.RawMessage(v), true, nil
}

// PutCached implements store.Cache.
func (s *Store) PutCached(ctx context.Context, key string, value json.RawMessage, expiresAt time.Time) error {
	return s.do(ctx, func(w *writer, _ time.Time) error {
		if _, err := w.conn.ExecContext(w.ctx, `INSERT INTO step_cache (key, value, expires_at) VALUES (?, ?, ?)
			ON CONFLICT (key) DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at`,
			key, []byte(value), expiresAt.UnixMicro()); err != nil {
			return fmt.Errorf("writing cache: %w", err)
		}
		return nil
	})
}

// PruneCache implements store.Cache.
func (s *Store) PruneCache(ctx context.Context, now time.Time, batch int) (int, error) {
	n := 0
	err := s.do(ctx, func(w *writer, _ time.Time) error {
		res, err := w.conn.ExecContext(w.ctx, `DELETE FROM step_cache WHERE key IN (
			SELECT key FROM step_cache WHERE expires_at <= ? LIMIT ?)`, now.UnixMicro(), batch)
		if err != nil {
			return fmt.Errorf("pruning cache: %w", err)
		}
		d, _ := res.RowsAffected()
		n = int(d)
		return nil
	})
	if err != nil {
		// do may return on ctx before the writer ran the job: n is not ours
		// to read then.
		return 0, err
	}
	return n, nil
}

// UpdateLimiterState implements store.LimiterStates. The single writer
// makes every update atomic.
func (s *Store) UpdateLimiterState(ctx context.Context, key string, fn func([]byte) ([]byte, error)) error {
	return s.do(ctx, func(w *writer, _ time.Time) error {
		var old []byte
		err := w.conn.QueryRowContext(w.ctx, "SELECT state FROM limiter_states WHERE key = ?", key).Scan(&old)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("reading limiter state: %w", err)
		}
		next, err := fn(old)
		if err != nil {
			return err
		}
		if _, err := w.conn.ExecContext(w.ctx, `INSERT INTO limiter_states (key, state) VALUES (?, ?)
			ON CONFLICT (key) DO UPDATE SET state = excluded.state`, key, next); err != nil {
			return fmt.Errorf("writing limiter state: %w", err)
		}
		return nil
	})
}
