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

var _ store.Events = (*Store)(nil)

const eventCols = "id, name, key, payload, created_at, expires_at, taken_by, taken_at"

// PublishEvent implements store.Events. A transaction-scoped advisory lock
// on (name, key) makes the buffer bound exact under concurrent publishes.
func (s *Store) PublishEvent(ctx context.Context, ev store.Event, maxPerKey int) ([]string, error) {
	var woken []string
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock(hashtextextended($1 || chr(1) || $2, 11))", ev.Name, ev.Key); err != nil {
			return fmt.Errorf("locking key: %w", err)
		}
		if ev.Dedupe != "" {
			var exists bool
			if err := tx.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM events WHERE dedupe = $1)", ev.Dedupe).Scan(&exists); err != nil {
				return err
			}
			if exists {
				return weft.ErrDuplicate
			}
		}
		var n int
		if err := tx.QueryRow(ctx, "SELECT count(*) FROM events WHERE name = $1 AND key = $2 AND taken_by IS NULL AND expires_at > $3",
			ev.Name, ev.Key, ts(ev.CreatedAt)).Scan(&n); err != nil {
			return err
		}
		if n >= maxPerKey {
			return fmt.Errorf("%d events on %q key %q wait to be taken: %w", n, ev.Name, ev.Key, weft.ErrOverloaded)
		}
		var dedupe *string
		if ev.Dedupe != "" {
			dedupe = &ev.Dedupe
		}
		if _, err := tx.Exec(ctx, "INSERT INTO events (id, name, key, payload, dedupe, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
			ev.ID, ev.Name, ev.Key, []byte(ev.Payload), dedupe, ts(ev.CreatedAt), ts(ev.ExpiresAt)); err != nil {
			return fmt.Errorf("inserting: %w", err)
		}
		rows, err := tx.Query(ctx, `UPDATE executions SET wake_at = $3 WHERE id IN (
			SELECT execution_id FROM event_waits WHERE name = $1 AND key = $2) AND status IN ('running', 'waiting')
			RETURNING id`, ev.Name, ev.Key, ts(ev.CreatedAt))
		if err != nil {
			return fmt.Errorf("waking waiters: %w", err)
		}
		woken, err = pgx.CollectRows(rows, pgx.RowTo[string])
		return err
	})
	if errors.Is(err, weft.ErrDuplicate) {
		return nil, fmt.Errorf("event %q: %w", ev.Dedupe, weft.ErrDuplicate)
	}
	if err != nil {
		return nil, fmt.Errorf("publishing event %q: %w", ev.Name, err)
	}
	return woken, nil
}

// PutEventWait implements store.Events.
func (s *Store) PutEventWait(ctx context.Context, w store.EventWait) error {
	var info []byte
	if len(w.Info) > 0 {
		info = w.Info
	}
	_, err := s.pool.Exec(ctx, `INSERT INTO event_waits (execution_id, step_id, item, workflow, name, key, info, created_at, expires_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
		ON CONFLICT (execution_id, step_id, item) DO UPDATE SET workflow = excluded.workflow, name = excluded.name, key = excluded.key,
		info = excluded.info, expires_at = excluded.expires_at`,
		w.ExecutionID, w.StepID, w.Item, w.Workflow, w.Name, w.Key, info, ts(w.CreatedAt), ts(w.ExpiresAt))
	if err != nil {
		return fmt.Errorf("recording wait of step %q: %w", w.StepID, err)
	}
	return nil
}

// DeleteEventWait implements store.Events.
func (s *Store) DeleteEventWait(ctx context.Context, executionID, stepID string, item int) error {
	if _, err := s.pool.Exec(ctx, "DELETE FROM event_waits WHERE execution_id = $1 AND step_id = $2 AND item = $3", executionID, stepID, item); err != nil {
		return fmt.Errorf("removing wait of step %q: %w", stepID, err)
	}
	return nil
}

const waitCols = "execution_id, step_id, item, workflow, name, key, info, created_at, expires_at"

func scanWait(row pgx.Row) (store.EventWait, error) {
	var w store.EventWait
	var info []byte
	if err := row.Scan(&w.ExecutionID, &w.StepID, &w.Item, &w.Workflow, &w.Name, &w.Key, &info, &w.CreatedAt, &w.ExpiresAt); err != nil {
		return w, err
	}
	if len(info) > 0 {
		w.Info = json.RawMessage(info)
	}
	w.CreatedAt, w.ExpiresAt = w.CreatedAt.UTC(), w.ExpiresAt.UTC()
	return w, nil
}

// ListEventWaits implements store.Events.
func (s *Store) ListEventWaits(ctx context.Context, name string, page store.Page) ([]store.EventWait, string, error) {
	limit := pageLimit(page.Limit)
	c, err := store.ParseWaitCursor(page.Cursor)
	if err != nil {
		return nil, "", fmt.Errorf("listing waits: %w", err)
	}
	rows, err := s.pool.Query(ctx, "SELECT "+waitCols+` FROM event_waits
		WHERE ($1 = '' OR name = $1) AND (created_at, execution_id, step_id, item) > ($2, $3, $4, $5)
		ORDER BY created_at, execution_id, step_id, item LIMIT $6`, name, c.CreatedAt, c.ExecutionID, c.StepID, c.Item, limit+1)
	if err != nil {
		return nil, "", fmt.Errorf("listing waits: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (store.EventWait, error) { return scanWait(r) })
	if err != nil {
		return nil, "", fmt.Errorf("listing waits: %w", err)
	}
	var next string
	if len(out) > limit {
		out = out[:limit]
		next = store.WaitCursor(out[limit-1])
	}
	return out, next, nil
}

// GetEventWait implements store.Events.
func (s *Store) GetEventWait(ctx context.Context, executionID, stepID string, item int) (store.EventWait, error) {
	w, err := scanWait(s.pool.QueryRow(ctx, "SELECT "+waitCols+" FROM event_waits WHERE execution_id = $1 AND step_id = $2 AND item = $3",
		executionID, stepID, item))
	if errors.Is(err, pgx.ErrNoRows) {
		return w, fmt.Errorf("wait of step %q in execution %s: %w", stepID, executionID, weft.ErrNotFound)
	}
	if err != nil {
		return w, fmt.Errorf("reading wait of step %q: %w", stepID, err)
	}
	return w, nil
}

func scanEvent(row pgx.Row) (store.Event, error) {
	var ev store.Event
	var payload []byte
	var takenBy *string
	if err := row.Scan(&ev.ID, &ev.Name, &ev.Key, &payload, &ev.CreatedAt, &ev.ExpiresAt, &takenBy, &ev.TakenAt); err != nil {
		return ev, err
	}
	ev.Payload = json.RawMessage(payload)
	ev.CreatedAt, ev.ExpiresAt = ev.CreatedAt.UTC(), ev.ExpiresAt.UTC()
	if takenBy != nil {
		ev.TakenBy = *takenBy
	}
	if ev.TakenAt != nil {
		t := ev.TakenAt.UTC()
		ev.TakenAt = &t
	}
	return ev, nil
}

// PendingEvents implements store.Events.
func (s *Store) PendingEvents(ctx context.Context, name, key string, now time.Time, limit int) ([]store.Event, error) {
	rows, err := s.pool.Query(ctx, "SELECT "+eventCols+` FROM events WHERE name = $1 AND key = $2 AND taken_by IS NULL AND expires_at > $3
		ORDER BY created_at, id LIMIT $4`, name, key, ts(now), limit)
	if err != nil {
		return nil, fmt.Errorf("listing events %q: %w", name, err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (store.Event, error) { return scanEvent(r) })
	if err != nil {
		return nil, fmt.Errorf("listing events %q: %w", name, err)
	}
	return out, nil
}

// TakeEvent implements store.Events. A taken event is kept a day, so a step
// run again after a crash finds what it took.
func (s *Store) TakeEvent(ctx context.Context, id, consumer string, now time.Time) (bool, error) {
	tag, err := s.pool.Exec(ctx, "UPDATE events SET taken_by = $2, taken_at = $3, expires_at = $4 WHERE id = $1 AND taken_by IS NULL",
		id, consumer, ts(now), ts(now.Add(store.TakenEventKeep)))
	if err != nil {
		return false, fmt.Errorf("taking event %s: %w", id, err)
	}
	if tag.RowsAffected() == 1 {
		return true, nil
	}
	var by *string
	err = s.pool.QueryRow(ctx, "SELECT taken_by FROM events WHERE id = $1", id).Scan(&by)
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return false, fmt.Errorf("taking event %s: %w", id, err)
	}
	return by != nil && *by == consumer, nil
}

// TakenEvent implements store.Events.
func (s *Store) TakenEvent(ctx context.Context, consumer string) (store.Event, error) {
	ev, err := scanEvent(s.pool.QueryRow(ctx, "SELECT "+eventCols+" FROM events WHERE taken_by = $1", consumer))
	if errors.Is(err, pgx.ErrNoRows) {
		return ev, fmt.Errorf("event taken by %s: %w", consumer, weft.ErrNotFound)
	}
	if err != nil {
		return ev, fmt.Errorf("reading event taken by %s: %w", consumer, err)
	}
	return ev, nil
}

// PruneEvents implements store.Events.
func (s *Store) PruneEvents(ctx context.Context, now time.Time, batch int) (int, error) {
	a, err := s.pool.Exec(ctx, "DELETE FROM events WHERE id IN (SELECT id FROM events WHERE expires_at <= $1 LIMIT $2)", ts(now), batch)
	if err != nil {
		return 0, fmt.Errorf("pruning events: %w", err)
	}
	b, err := s.pool.Exec(ctx, `DELETE FROM event_waits WHERE (execution_id, step_id, item) IN (
		SELECT execution_id, step_id, item FROM event_waits WHERE expires_at <= $1 LIMIT $2)`, ts(now), batch)
	if err != nil {
		return 0, fmt.Errorf("pruning waits: %w", err)
	}
	return int(a.RowsAffected() + b.RowsAffected()), nil
}
