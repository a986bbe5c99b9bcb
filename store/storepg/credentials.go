package storepg

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/store"
)

var (
	_ store.Credentials   = (*Store)(nil)
	_ store.Cache         = (*Store)(nil)
	_ store.LimiterStates = (*Store)(nil)
)

const credentialCols = "name, type, sealed, settings, token, created_at, updated_at"

func scanCredential(row pgx.Row) (store.CredentialRecord, error) {
	var rec store.CredentialRecord
	var settings []byte
	if err := row.Scan(&rec.Name, &rec.Type, &rec.Sealed, &settings, &rec.Token, &rec.CreatedAt, &rec.UpdatedAt); err != nil {
		return rec, err
	}
	if len(settings) > 0 {
		rec.Settings = json.RawMessage(settings)
	}
	rec.CreatedAt, rec.UpdatedAt = rec.CreatedAt.UTC(), rec.UpdatedAt.UTC()
	return rec, nil
}

// PutCredential implements store.Credentials.
func (s *Store) PutCredential(ctx context.Context, rec store.CredentialRecord) (store.CredentialRecord, error) {
	now := time.Now().UTC().Truncate(time.Microsecond)
	row := s.pool.QueryRow(ctx, `INSERT INTO credentials (`+credentialCols+`) VALUES ($1, $2, $3, $4, NULL, $5, $5)
		ON CONFLICT (name) DO UPDATE SET type = excluded.type, sealed = excluded.sealed, settings = excluded.settings,
		token = NULL, updated_at = excluded.updated_at
		RETURNING created_at, updated_at`, rec.Name, rec.Type, rec.Sealed, []byte(rec.Settings), now)
	if err := row.Scan(&rec.CreatedAt, &rec.UpdatedAt); err != nil {
		return store.CredentialRecord{}, fmt.Errorf("storing credential %q: %w", rec.Name, err)
	}
	rec.Token = nil
	rec.CreatedAt, rec.UpdatedAt = rec.CreatedAt.UTC(), rec.UpdatedAt.UTC()
	return rec, nil
}

// GetCredential implements store.Credentials.
func (s *Store) GetCredential(ctx context.Context, name string) (store.CredentialRecord, error) {
	rec, err := scanCredential(s.pool.QueryRow(ctx, "SELECT "+credentialCols+" FROM credentials WHERE name = $1", name))
	if errors.Is(err, pgx.ErrNoRows) {
		return rec, fmt.Errorf("credential %q: %w", name, weft.ErrNotFound)
	}
	if err != nil {
		return rec, fmt.Errorf("reading credential %q: %w", name, err)
	}
	return rec, nil
}

// ListCredentials implements store.Credentials.
func (s *Store) ListCredentials(ctx context.Context) ([]store.CredentialRecord, error) {
	rows, err := s.pool.Query(ctx, "SELECT "+credentialCols+" FROM credentials ORDER BY name")
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
	tag, err := s.pool.Exec(ctx, "DELETE FROM credentials WHERE name = $1", name)
	if err != nil {
		return fmt.Errorf("deleting credential %q: %w", name, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("credential %q: %w", name, weft.ErrNotFound)
	}
	return nil
}

// SetCredentialToken implements store.Credentials.
func (s *Store) SetCredentialToken(ctx context.Context, name string, token []byte) error {
	tag, err := s.pool.Exec(ctx, "UPDATE credentials SET token = $1 WHERE name = $2", token, name)
	if err != nil {
		return fmt.Errorf("storing token of credential %q: %w", name, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("credential %q: %w", name, weft.ErrNotFound)
	}
	return nil
}

// UpdateCredentialToken implements store.Credentials: the credential's row
// is locked with SELECT … FOR UPDATE for the length of fn, so a second
// process waits and then reads what the first stored.
func (s *Store) UpdateCredentialToken(ctx context.Context, name string, fn func([]byte) ([]byte, error)) error {
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var old []byte
		err := tx.QueryRow(ctx, "SELECT token FROM credentials WHERE name = $1 FOR UPDATE", name).Scan(&old)
		if errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("credential %q: %w", name, weft.ErrNotFound)
		}
		if err != nil {
			return fmt.Errorf("locking token of credential %q: %w", name, err)
		}
		next, err := fn(old)
		if err != nil || next == nil {
			return err
		}
		if _, err := tx.Exec(ctx, "UPDATE credentials SET token = $1 WHERE name = $2", next, name); err != nil {
			return fmt.Errorf("storing token of credential %q: %w", name, err)
		}
		return nil
	})
}

// ResealCredentials implements store.Credentials.
func (s *Store) ResealCredentials(ctx context.Context, fn func(rec *store.CredentialRecord) error) (int, error) {
	n := 0
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		n = 0
		rows, err := tx.Query(ctx, "SELECT "+credentialCols+" FROM credentials ORDER BY name FOR UPDATE")
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
			if _, err := tx.Exec(ctx, "UPDATE credentials SET sealed = $1, token = $2 WHERE name = $3",
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
	err := s.pool.QueryRow(ctx, "SELECT value FROM step_cache WHERE key = $1 AND expires_at > $2", key, now).Scan(&v)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("reading cache: %w", err)
	}
	return json.RawMessage(v), true, nil
}

// PutCached implements store.Cache.
func (s *Store) PutCached(ctx context.Context, key string, value json.RawMessage, expiresAt time.Time) error {
	if _, err := s.pool.Exec(ctx, `INSERT INTO step_cache (key, value, expires_at) VALUES ($1, $2, $3)
		ON CONFLICT (key) DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at`,
		key, []byte(value), expiresAt); err != nil {
		return fmt.Errorf("writing cache: %w", err)
	}
	return nil
}

// PruneCache implements store.Cache.
func (s *Store) PruneCache(ctx context.Context, now time.Time, batch int) (int, error) {
	tag, err := s.pool.Exec(ctx, `DELETE FROM step_cache WHERE key IN (
		SELECT key FROM step_cache WHERE expires_at <= $1 LIMIT $2)`, now, batch)
	if err != nil {
		return 0, fmt.Errorf("pruning cache: %w", err)
	}
	return int(tag.RowsAffected()), nil
}

// UpdateLimiterState implements store.LimiterStates: the row is locked with
// SELECT … FOR UPDATE, so updates from every process line up.
func (s *Store) UpdateLimiterState(ctx context.Context, key string, fn func([]byte) ([]byte, error)) error {
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "INSERT INTO limiter_states (key, state) VALUES ($1, '') ON CONFLICT (key) DO NOTHING", key); err != nil {
			return fmt.Errorf("creating limiter state: %w", err)
		}
		var old []byte
		if err := tx.QueryRow(ctx, "SELECT state FROM limiter_states WHERE key = $1 FOR UPDATE", key).Scan(&old); err != nil {
			return fmt.Errorf("locking limiter state: %w", err)
		}
		next, err := fn(old)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, "UPDATE limiter_states SET state = $1 WHERE key = $2", next, key); err != nil {
			return fmt.Errorf("writing limiter state: %w", err)
		}
		return nil
	})
}
