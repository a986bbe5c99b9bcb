package storesqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/store"
)

var _ store.Registrations = (*Store)(nil)

const regColumns = `workflow, provider, spec, url, events, state, endpoint_id, last_error, attempts,
	next_attempt_at, claim_owner, claim_until, updated_at`

// ClaimRegistration implements store.Registrations.
func (s *Store) ClaimRegistration(ctx context.Context, workflow, owner string, now time.Time, lease time.Duration) (weft.WebhookRegistration, bool, error) {
	var reg weft.WebhookRegistration
	claimed := false
	err := s.do(ctx, func(w *writer, _ time.Time) error {
		if _, err := w.conn.ExecContext(w.ctx, "INSERT OR IGNORE INTO webhook_registrations (workflow, next_attempt_at, updated_at) VALUES (?, ?, ?)",
			workflow, micros(now), micros(now)); err != nil {
			return err
		}
		res, err := w.conn.ExecContext(w.ctx, `UPDATE webhook_registrations SET claim_owner = ?, claim_until = ?
			WHERE workflow = ? AND next_attempt_at <= ? AND (claim_until IS NULL OR claim_until <= ?)`,
			owner, micros(now.Add(lease)), workflow, micros(now), micros(now))
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		if err != nil {
			return err
		}
		claimed = n == 1
		reg, err = scanReg(w.conn.QueryRowContext(w.ctx, "SELECT "+regColumns+" FROM webhook_registrations WHERE workflow = ?", workflow))
		return err
	})
	if err != nil {
		return weft.WebhookRegistration{}, false, fmt.Errorf("claiming registration of %s: %w", workflow, err)
	}
	return reg, claimed, nil
}

// FinishRegistration implements store.Registrations.
func (s *Store) FinishRegistration(ctx context.Context, owner string, reg weft.WebhookRegistration) error {
	events, err := json.Marshal(nonNil(reg.Events))
	if err != nil {
		return fmt.Errorf("encoding events: %w", err)
	}
	err = s.do(ctx, func(w *writer, _ time.Time) error {
		res, err := w.conn.ExecContext(w.ctx, `UPDATE webhook_registrations SET provider = ?, spec = ?, url = ?, events = ?,
			state = ?, endpoint_id = ?, last_error = ?, attempts = ?, next_attempt_at = ?, claim_owner = '', claim_until = NULL,
			updated_at = ? WHERE workflow = ? AND claim_owner = ?`,
			reg.Provider, reg.Spec, reg.URL, string(events), reg.State, reg.EndpointID, reg.LastError, reg.Attempts,
			micros(reg.NextAttemptAt), micros(reg.UpdatedAt), reg.Workflow, owner)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			return errors.Join(err, fmt.Errorf("the claim is held by another process: %w", weft.ErrConflict))
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("finishing registration of %s: %w", reg.Workflow, err)
	}
	return nil
}

// GetRegistration implements store.Registrations.
func (s *Store) GetRegistration(ctx context.Context, workflow string) (weft.WebhookRegistration, error) {
	reg, err := scanReg(s.rdb.QueryRowContext(ctx, "SELECT "+regColumns+" FROM webhook_registrations WHERE workflow = ?", workflow))
	if errors.Is(err, sql.ErrNoRows) {
		return reg, fmt.Errorf("registration of %s: %w", workflow, weft.ErrNotFound)
	}
	if err != nil {
		return reg, fmt.Errorf("reading registration of %s: %w", workflow, err)
	}
	return reg, nil
}

// ListRegistrations implements store.Registrations.
func (s *Store) ListRegistrations(ctx context.Context) ([]weft.WebhookRegistration, error) {
	rows, err := s.rdb.QueryContext(ctx, "SELECT "+regColumns+" FROM webhook_registrations ORDER BY workflow")
	if err != nil {
		return nil, fmt.Errorf("listing registrations: %w", err)
	}
	defer rows.Close()
	var out []weft.WebhookRegistration
	for rows.Next() {
		reg, err := scanReg(rows)
		if err != nil {
			return nil, fmt.Errorf("reading registration: %w", err)
		}
		out = append(out, reg)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("listing registrations: %w", err)
	}
	return out, nil
}

// DeleteRegistration implements store.Registrations.
func (s *Store) DeleteRegistration(ctx context.Context, workflow, owner string) error {
	err := s.do(ctx, func(w *writer, _ time.Time) error {
		_, err := w.conn.ExecContext(w.ctx, "DELETE FROM webhook_registrations WHERE workflow = ? AND claim_owner = ?", workflow, owner)
		return err
	})
	if err != nil {
		return fmt.Errorf("deleting registration of %s: %w", workflow, err)
	}
	return nil
}

func scanReg(r interface{ Scan(...any) error }) (weft.WebhookRegistration, error) {
	var (
		reg           weft.WebhookRegistration
		events        string
		next, updated int64
		claimUntil    sql.NullInt64
	)
	if err := r.Scan(&reg.Workflow, &reg.Provider, &reg.Spec, &reg.URL, &events, &reg.State, &reg.EndpointID, &reg.LastError,
		&reg.Attempts, &next, &reg.ClaimOwner, &claimUntil, &updated); err != nil {
		return reg, err
	}
	if err := json.Unmarshal([]byte(events), &reg.Events); err != nil {
		return reg, fmt.Errorf("decoding events: %w", err)
	}
	reg.NextAttemptAt, reg.UpdatedAt, reg.ClaimUntil = fromMicros(next), fromMicros(updated), timePtr(claimUntil)
	return reg, nil
}
