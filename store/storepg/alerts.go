package storepg

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/store"
)

var _ store.Alerts = (*Store)(nil)

const alertCols = `name, state, value, since, notified_at, evaluated_at, owner, lease_until`

func scanAlert(row pgx.Row) (store.AlertState, error) {
	var (
		a                                   store.AlertState
		since, notified, evaluated, leaseTo *int64
	)
	if err := row.Scan(&a.Name, &a.State, &a.Value, &since, &notified, &evaluated, &a.Owner, &leaseTo); err != nil {
		return a, err
	}
	a.Since, a.NotifiedAt, a.EvaluatedAt, a.LeaseUntil = microsPtr(since), microsPtr(notified), microsPtr(evaluated), microsPtr(leaseTo)
	return a, nil
}

func microsPtr(v *int64) *time.Time {
	if v == nil {
		return nil
	}
	t := time.UnixMicro(*v).UTC()
	return &t
}

func ptrMicros(t *time.Time) *int64 {
	if t == nil {
		return nil
	}
	v := t.UnixMicro()
	return &v
}

// ClaimAlert implements store.Alerts: one statement inserts or takes over
// the lease row, so two processes never both hold an alert.
func (s *Store) ClaimAlert(ctx context.Context, name, owner string, now time.Time, lease time.Duration) (store.AlertState, bool, error) {
	a, err := scanAlert(s.pool.QueryRow(ctx, `INSERT INTO alert_state (name, owner, lease_until) VALUES ($1, $2, $3)
		ON CONFLICT (name) DO UPDATE SET owner = excluded.owner, lease_until = excluded.lease_until
		WHERE alert_state.owner = excluded.owner OR alert_state.lease_until IS NULL OR alert_state.lease_until <= $4
		RETURNING `+alertCols, name, owner, now.Add(lease).UnixMicro(), now.UnixMicro()))
	if errors.Is(err, pgx.ErrNoRows) {
		return store.AlertState{}, false, nil
	}
	if err != nil {
		return store.AlertState{}, false, fmt.Errorf("claiming alert %q: %w", name, err)
	}
	return a, true, nil
}

// SaveAlertState implements store.Alerts.
func (s *Store) SaveAlertState(ctx context.Context, a store.AlertState, owner string) error {
	tag, err := s.pool.Exec(ctx, `UPDATE alert_state SET state = $3, value = $4, since = $5, notified_at = $6, evaluated_at = $7
		WHERE name = $1 AND owner = $2`, a.Name, owner, a.State, a.Value, ptrMicros(a.Since), ptrMicros(a.NotifiedAt), ptrMicros(a.EvaluatedAt))
	if err != nil {
		return fmt.Errorf("saving alert %q: %w", a.Name, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("saving alert %q: %w", a.Name, weft.ErrLeaseLost)
	}
	return nil
}

// ListAlertStates implements store.Alerts.
func (s *Store) ListAlertStates(ctx context.Context) ([]store.AlertState, error) {
	rows, err := s.pool.Query(ctx, "SELECT "+alertCols+" FROM alert_state ORDER BY name")
	if err != nil {
		return nil, fmt.Errorf("listing alert states: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (store.AlertState, error) { return scanAlert(r) })
	if err != nil {
		return nil, fmt.Errorf("listing alert states: %w", err)
	}
	return out, nil
}

// PutAlertRule implements store.Alerts.
func (s *Store) PutAlertRule(ctx context.Context, name string, doc []byte, now time.Time) error {
	if _, err := s.pool.Exec(ctx, `INSERT INTO alert_rules (name, doc, updated_at) VALUES ($1, $2, $3)
		ON CONFLICT (name) DO UPDATE SET doc = excluded.doc, updated_at = excluded.updated_at`, name, string(doc), now.UnixMicro()); err != nil {
		return fmt.Errorf("storing alert rule %q: %w", name, err)
	}
	return nil
}

// DeleteAlertRule implements store.Alerts.
func (s *Store) DeleteAlertRule(ctx context.Context, name string) error {
	tag, err := s.pool.Exec(ctx, "DELETE FROM alert_rules WHERE name = $1", name)
	if err != nil {
		return fmt.Errorf("deleting alert rule %q: %w", name, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("alert rule %q: %w", name, weft.ErrNotFound)
	}
	if _, err := s.pool.Exec(ctx, "DELETE FROM alert_state WHERE name = $1", name); err != nil {
		return fmt.Errorf("deleting the state of alert %q: %w", name, err)
	}
	return nil
}

// ListAlertRules implements store.Alerts.
func (s *Store) ListAlertRules(ctx context.Context) (map[string][]byte, error) {
	rows, err := s.pool.Query(ctx, "SELECT name, doc FROM alert_rules ORDER BY name")
	if err != nil {
		return nil, fmt.Errorf("listing alert rules: %w", err)
	}
	defer rows.Close()
	out := map[string][]byte{}
	for rows.Next() {
		var name, doc string
		if err := rows.Scan(&name, &doc); err != nil {
			return nil, fmt.Errorf("listing alert rules: %w", err)
		}
		out[name] = []byte(doc)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("listing alert rules: %w", err)
	}
	return out, nil
}
