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

var _ store.Registrations = (*Store)(nil)

const regColumns = `workflow, provider, spec, url, events, state, endpoint_id, last_error, attempts,
	next_attempt_at, claim_owner, claim_until, updated_at`

// ClaimRegistration implements store.Registrations. The conditional UPDATE
// is the claim: of two processes that try at once, one updates the row and
// the other finds the claim taken.
func (s *Store) ClaimRegistration(ctx context.Context, workflow, owner string, now time.Time, lease time.Duration) (weft.WebhookRegistration, bool, error) {
	if _, err := s.pool.Exec(ctx, "INSERT INTO webhook_registrations (workflow, next_attempt_at, updated_at) VALUES ($1, $2, $2) ON CONFLICT DO NOTHING",
		workflow, ts(now)); err != nil {
		return weft.WebhookRegistration{}, false, fmt.Errorf("claiming registration of %s: %w", workflow, err)
	}
	reg, err := scanReg(s.pool.QueryRow(ctx, `UPDATE webhook_registrations SET claim_owner = $1, claim_until = $2
		WHERE workflow = $3 AND next_attempt_at <= $4 AND (claim_until IS NULL OR claim_until <= $4)
		RETURNING `+regColumns, owner, ts(now.Add(lease)), workflow, ts(now)))
	if err == nil {
		return reg, true, nil
	}
	if !errors.Is(err, pgx.ErrNoRows) {
		return reg, false, fmt.Errorf("claiming registration of %s: %w", workflow, err)
	}
	reg, err = s.GetRegistration(ctx, workflow)
	return reg, false, err
}

// FinishRegistration implements store.Registrations.
func (s *Store) FinishRegistration(ctx context.Context, owner string, reg weft.WebhookRegistration) error {
	ev := reg.Events
	if ev == nil {
		ev = []string{}
	}
	events, err := json.Marshal(ev)
	if err != nil {
		return fmt.Errorf("encoding events: %w", err)
	}
	tag, err := s.pool.Exec(ctx, `UPDATE webhook_registrations SET provider = $1, spec = $2, url = $3, events = $4,
		state = $5, endpoint_id = $6, last_error = $7, attempts = $8, next_attempt_at = $9, claim_owner = '', claim_until = NULL,
		updated_at = $10 WHERE workflow = $11 AND claim_owner = $12`,
		reg.Provider, reg.Spec, reg.URL, string(events), reg.State, reg.EndpointID, reg.LastError, reg.Attempts,
		ts(reg.NextAttemptAt), ts(reg.UpdatedAt), reg.Workflow, owner)
	if err != nil {
		return fmt.Errorf("finishing registration of %s: %w", reg.Workflow, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("finishing registration of %s: the claim is held by another process: %w", reg.Workflow, weft.ErrConflict)
	}
	return nil
}

// GetRegistration implements store.Registrations.
func (s *Store) GetRegistration(ctx context.Context, workflow string) (weft.WebhookRegistration, error) {
	reg, err := scanReg(s.pool.QueryRow(ctx, "SELECT "+regColumns+" FROM webhook_registrations WHERE workflow = $1", workflow))
	if errors.Is(err, pgx.ErrNoRows) {
		return reg, fmt.Errorf("registration of %s: %w", workflow, weft.ErrNotFound)
	}
	if err != nil {
		return reg, fmt.Errorf("reading registration of %s: %w", workflow, err)
	}
	return reg, nil
}

// ListRegistrations implements store.Registrations.
func (s *Store) ListRegistrations(ctx context.Context) ([]weft.WebhookRegistration, error) {
	rows, err := s.pool.Query(ctx, "SELECT "+regColumns+" FROM webhook_registrations ORDER BY workflow")
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
	if _, err := s.pool.Exec(ctx, "DELETE FROM webhook_registrations WHERE workflow = $1 AND claim_owner = $2", workflow, owner); err != nil {
		return fmt.Errorf("deleting registration of %s: %w", workflow, err)
	}
	return nil
}

func scanReg(r pgx.Row) (weft.WebhookRegistration, error) {
	var (
		reg    weft.WebhookRegistration
		events string
	)
	if err := r.Scan(&reg.Workflow, &reg.Provider, &reg.Spec, &reg.URL, &events, &reg.State, &reg.EndpointID, &reg.LastError,
		&reg.Attempts, &reg.NextAttemptAt, &reg.ClaimOwner, &reg.ClaimUntil, &reg.UpdatedAt); err != nil {
		return reg, err
	}
	if err := json.Unmarshal([]byte(events), &reg.Events); err != nil {
		return reg, fmt.Errorf("decoding events: %w", err)
	}
	reg.NextAttemptAt, reg.UpdatedAt, reg.ClaimUntil = reg.NextAttemptAt.UTC(), reg.UpdatedAt.UTC(), utcPtr(reg.ClaimUntil)
	return reg, nil
}
