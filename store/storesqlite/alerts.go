package storesqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/store"
)

var _ store.Alerts = (*Store)(nil)

const alertCols = `name, state, value, since, notified_at, evaluated_at, owner, lease_until`

func scanAlert(sc scanner) (store.AlertState, error) {
	var (
		a                                   store.AlertState
		since, notified, evaluated, leaseTo sql.NullInt64
	)
	if err := sc.Scan(&a.Name, &a.State, &a.Value, &since, &notified, &evaluated, &a.Owner, &leaseTo); err != nil {
		return a, err
	}
	a.Since, a.NotifiedAt, a.EvaluatedAt, a.LeaseUntil = timePtr(since), timePtr(notified), timePtr(evaluated), timePtr(leaseTo)
	return a, nil
}

// ClaimAlert implements store.Alerts.
func (s *Store) ClaimAlert(ctx context.Context, name, owner string, now time.Time, lease time.Duration) (store.AlertState, bool, error) {
	var (
		a  store.AlertState
		ok bool
	)
	err := s.do(ctx, func(w *writer, _ time.Time) error {
		var err error
		a, err = scanAlert(w.conn.QueryRowContext(w.ctx, `INSERT INTO alert_state (name, owner, lease_until) VALUES (?1, ?2, ?3)
			ON CONFLICT (name) DO UPDATE SET owner = excluded.owner, lease_until = excluded.lease_until
			WHERE alert_state.owner = excluded.owner OR alert_state.lease_until IS NULL OR alert_state.lease_until <= ?4
			RETURNING `+alertCols, name, owner, now.Add(lease).UnixMicro(), now.UnixMicro()))
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		ok = err == nil
		return err
	})
	if err != nil {
		return store.AlertState{}, false, fmt.Errorf("claiming alert %q: %w", name, err)
	}
	return a, ok, nil
}

// SaveAlertState implements store.Alerts.
func (s *Store) SaveAlertState(ctx context.Context, a store.AlertState, owner string) error {
	var n int64
	err := s.do(ctx, func(w *writer, _ time.Time) error {
		res, err := w.conn.ExecContext(w.ctx, `UPDATE alert_state SET state = ?, value = ?, since = ?, notified_at = ?, evaluated_at = ?
			WHERE name = ? AND owner = ?`, a.State, a.Value, nullMicros(a.Since), nullMicros(a.NotifiedAt), nullMicros(a.EvaluatedAt), a.Name, owner)
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	if err != nil {
		return fmt.Errorf("saving alert %q: %w", a.Name, err)
	}
	if n == 0 {
		return fmt.Errorf("saving alert %q: %w", a.Name, weft.ErrLeaseLost)
	}
	return nil
}

// ListAlertStates implements store.Alerts.
func (s *Store) ListAlertStates(ctx context.Context) ([]store.AlertState, error) {
	rows, err := s.rdb.QueryContext(ctx, "SELECT "+alertCols+" FROM alert_state ORDER BY name")
	if err != nil {
		return nil, fmt.Errorf("listing alert states: %w", err)
	}
	defer rows.Close()
	var out []store.AlertState
	for rows.Next() {
		a, err := scanAlert(rows)
		if err != nil {
			return nil, fmt.Errorf("listing alert states: %w", err)
		}
		out = append(out, a)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("listing alert states: %w", err)
	}
	return out, nil
}

// PutAlertRule implements store.Alerts.
func (s *Store) PutAlertRule(ctx context.Context, name string, doc []byte, now time.Time) error {
	err := s.do(ctx, func(w *writer, _ time.Time) error {
		_, err := w.conn.ExecContext(w.ctx, `INSERT INTO alert_rules (name, doc, updated_at) VALUES (?, ?, ?)
			ON CONFLICT (name) DO UPDATE SET doc = excluded.doc, updated_at = excluded.updated_at`, name, string(doc), now.UnixMicro())
		return err
	})
	if err != nil {
		return fmt.Errorf("storing alert rule %q: %w", name, err)
	}
	return nil
}

// DeleteAlertRule implements store.Alerts.
func (s *Store) DeleteAlertRule(ctx context.Context, name string) error {
	var n int64
	err := s.do(ctx, func(w *writer, _ time.Time) error {
		res, err := w.conn.ExecContext(w.ctx, "DELETE FROM alert_rules WHERE name = ?", name)
		if err != nil {
			return err
		}
		if n, err = res.RowsAffected(); err != nil || n == 0 {
			return err
		}
		_, err = w.conn.ExecContext(w.ctx, "DELETE FROM alert_state WHERE name = ?", name)
		return err
	})
	if err != nil {
		return fmt.Errorf("deleting alert rule %q: %w", name, err)
	}
	if n == 0 {
		return fmt.Errorf("alert rule %q: %w", name, weft.ErrNotFound)
	}
	return nil
}

// ListAlertRules implements store.Alerts.
func (s *Store) ListAlertRules(ctx context.Context) (map[string][]byte, error) {
	rows, err := s.rdb.QueryContext(ctx, "SELECT name, doc FROM alert_rules ORDER BY name")
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
