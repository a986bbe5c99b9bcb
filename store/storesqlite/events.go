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

var _ store.Events = (*Store)(nil)

const eventCols = "id, name, key, payload, created_at, expires_at, taken_by, taken_at"

// PublishEvent implements store.Events. The single writer makes the count
// and the insert one atomic step.
func (s *Store) PublishEvent(ctx context.Context, ev store.Event, maxPerKey int) ([]string, error) {
	var woken []string
	err := s.do(ctx, func(w *writer, _ time.Time) error {
		woken = woken[:0]
		if ev.Dedupe != "" {
			var n int
			if err := w.conn.QueryRowContext(w.ctx, "SELECT count(*) FROM events WHERE dedupe = ?", ev.Dedupe).Scan(&n); err != nil {
				return err
			}
			if n > 0 {
				return weft.ErrDuplicate
			}
		}
		var n int
		if err := w.conn.QueryRowContext(w.ctx, "SELECT count(*) FROM events WHERE name = ? AND key = ? AND taken_by IS NULL AND expires_at > ?",
			ev.Name, ev.Key, micros(ev.CreatedAt)).Scan(&n); err != nil {
			return err
		}
		if n >= maxPerKey {
			return fmt.Errorf("%d events on %q key %q wait to be taken: %w", n, ev.Name, ev.Key, weft.ErrOverloaded)
		}
		var dedupe any
		if ev.Dedupe != "" {
			dedupe = ev.Dedupe
		}
		if _, err := w.conn.ExecContext(w.ctx, "INSERT INTO events (id, name, key, payload, dedupe, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
			ev.ID, ev.Name, ev.Key, []byte(ev.Payload), dedupe, micros(ev.CreatedAt), micros(ev.ExpiresAt)); err != nil {
			return fmt.Errorf("inserting: %w", err)
		}
		rows, err := w.conn.QueryContext(w.ctx, `UPDATE executions SET wake_at = ? WHERE id IN (
			SELECT execution_id FROM event_waits WHERE name = ? AND key = ?) AND status IN ('running', 'waiting')
			RETURNING id`, micros(ev.CreatedAt), ev.Name, ev.Key)
		if err != nil {
			return fmt.Errorf("waking waiters: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				return err
			}
			woken = append(woken, id)
		}
		return rows.Err()
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
func (s *Store) PutEventWait(ctx context.Context, ew store.EventWait) error {
	var info []byte
	if len(ew.Info) > 0 {
		info = ew.Info
	}
	err := s.do(ctx, func(w *writer, _ time.Time) error {
		_, err := w.conn.ExecContext(w.ctx, `INSERT INTO event_waits (execution_id, step_id, item, workflow, name, key, info, created_at, expires_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (execution_id, step_id, item) DO UPDATE SET workflow = excluded.workflow, name = excluded.name, key = excluded.key,
			info = excluded.info, expires_at = excluded.expires_at`,
			ew.ExecutionID, ew.StepID, ew.Item, ew.Workflow, ew.Name, ew.Key, info, micros(ew.CreatedAt), micros(ew.ExpiresAt))
		return err
	})
	if err != nil {
		return fmt.Errorf("recording wait of step %q: %w", ew.StepID, err)
	}
	return nil
}

// DeleteEventWait implements store.Events.
func (s *Store) DeleteEventWait(ctx context.Context, executionID, stepID string, item int) error {
	err := s.do(ctx, func(w *writer, _ time.Time) error {
		_, err := w.conn.ExecContext(w.ctx, "DELETE FROM event_waits WHERE execution_id = ? AND step_id = ? AND item = ?", executionID, stepID, item)
		return err
	})
	if err != nil {
		return fmt.Errorf("removing wait of step %q: %w", stepID, err)
	}
	return nil
}

const waitCols = "execution_id, step_id, item, workflow, name, key, info, created_at, expires_at"

func scanWait(row scanner) (store.EventWait, error) {
	var w store.EventWait
	var info []byte
	var created, expires int64
	if err := row.Scan(&w.ExecutionID, &w.StepID, &w.Item, &w.Workflow, &w.Name, &w.Key, &info, &created, &expires); err != nil {
		return w, err
	}
	if len(info) > 0 {
		w.Info = json.RawMessage(info)
	}
	w.CreatedAt, w.ExpiresAt = fromMicros(created), fromMicros(expires)
	return w, nil
}

// ListEventWaits implements store.Events.
func (s *Store) ListEventWaits(ctx context.Context, name string, page store.Page) ([]store.EventWait, string, error) {
	limit := pageLimit(page.Limit)
	c, err := store.ParseWaitCursor(page.Cursor)
	if err != nil {
		return nil, "", fmt.Errorf("listing waits: %w", err)
	}
	rows, err := s.rdb.QueryContext(ctx, "SELECT "+waitCols+` FROM event_waits
		WHERE (? = '' OR name = ?) AND (created_at, execution_id, step_id, item) > (?, ?, ?, ?)
		ORDER BY created_at, execution_id, step_id, item LIMIT ?`, name, name, micros(c.CreatedAt), c.ExecutionID, c.StepID, c.Item, limit+1)
	if err != nil {
		return nil, "", fmt.Errorf("listing waits: %w", err)
	}
	defer rows.Close()
	var out []store.EventWait
	for rows.Next() {
		w, err := scanWait(rows)
		if err != nil {
			return nil, "", fmt.Errorf("listing waits: %w", err)
		}
		out = append(out, w)
	}
	if err := rows.Err(); err != nil {
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
	w, err := scanWait(s.rdb.QueryRowContext(ctx, "SELECT "+waitCols+" FROM event_waits WHERE execution_id = ? AND step_id = ? AND item = ?",
		executionID, stepID, item))
	if errors.Is(err, sql.ErrNoRows) {
		return w, fmt.Errorf("wait of step %q in execution %s: %w", stepID, executionID, weft.ErrNotFound)
	}
	if err != nil {
		return w, fmt.Errorf("reading wait of step %q: %w", stepID, err)
	}
	return w, nil
}

func scanEvent(row scanner) (store.Event, error) {
	var ev store.Event
	var payload []byte
	var takenBy sql.NullString
	var created, expires int64
	var takenAt sql.NullInt64
	if err := row.Scan(&ev.ID, &ev.Name, &ev.Key, &payload, &created, &expires, &takenBy, &takenAt); err != nil {
		return ev, err
	}
	ev.Payload = json.RawMessage(payload)
	ev.CreatedAt, ev.ExpiresAt, ev.TakenBy = fromMicros(created), fromMicros(expires), takenBy.String
	if takenAt.Valid {
		t := fromMicros(takenAt.Int64)
		ev.TakenAt = &t
	}
	return ev, nil
}

// PendingEvents implements store.Events.
func (s *Store) PendingEvents(ctx context.Context, name, key string, now time.Time, limit int) ([]store.Event, error) {
	rows, err := s.rdb.QueryContext(ctx, "SELECT "+eventCols+` FROM events WHERE name = ? AND key = ? AND taken_by IS NULL AND expires_at > ?
		ORDER BY created_at, id LIMIT ?`, name, key, micros(now), limit)
	if err != nil {
		return nil, fmt.Errorf("listing events %q: %w", name, err)
	}
	defer rows.Close()
	var out []store.Event
	for rows.Next() {
		ev, err := scanEvent(rows)
		if err != nil {
			return nil, fmt.Errorf("listing events %q: %w", name, err)
		}
		out = append(out, ev)
	}
	return out, rows.Err()
}

// TakeEvent implements store.Events.
func (s *Store) TakeEvent(ctx context.Context, id, consumer string, now time.Time) (bool, error) {
	var got bool
	err := s.do(ctx, func(w *writer, _ time.Time) error {
		var by sql.NullString
		err := w.conn.QueryRowContext(w.ctx, "SELECT taken_by FROM events WHERE id = ?", id).Scan(&by)
		if errors.Is(err, sql.ErrNoRows) {
			got = false
			return nil
		}
		if err != nil {
			return err
		}
		if by.Valid {
			got = by.String == consumer
			return nil
		}
		_, err = w.conn.ExecContext(w.ctx, "UPDATE events SET taken_by = ?, taken_at = ?, expires_at = ? WHERE id = ?",
			consumer, micros(now), micros(now.Add(store.TakenEventKeep)), id)
		got = err == nil
		if err != nil && strings.Contains(err.Error(), "UNIQUE") {
			// consumer already holds another event: it takes one only.
			got, err = false, nil
		}
		return err
	})
	if err != nil {
		return false, fmt.Errorf("taking event %s: %w", id, err)
	}
	return got, nil
}

// TakenEvent implements store.Events.
func (s *Store) TakenEvent(ctx context.Context, consumer string) (store.Event, error) {
	ev, err := scanEvent(s.rdb.QueryRowContext(ctx, "SELECT "+eventCols+" FROM events WHERE taken_by = ?", consumer))
	if errors.Is(err, sql.ErrNoRows) {
		return ev, fmt.Errorf("event taken by %s: %w", consumer, weft.ErrNotFound)
	}
	if err != nil {
		return ev, fmt.Errorf("reading event taken by %s: %w", consumer, err)
	}
	return ev, nil
}

// PruneEvents implements store.Events.
func (s *Store) PruneEvents(ctx context.Context, now time.Time, batch int) (int, error) {
	var n int
	err := s.do(ctx, func(w *writer, _ time.Time) error {
		a, err := w.conn.ExecContext(w.ctx, "DELETE FROM events WHERE id IN (SELECT id FROM events WHERE expires_at <= ? LIMIT ?)", micros(now), batch)
		if err != nil {
			return err
		}
		b, err := w.conn.ExecContext(w.ctx, `DELETE FROM event_waits WHERE (execution_id, step_id, item) IN (
			SELECT execution_id, step_id, item FROM event_waits WHERE expires_at <= ? LIMIT ?)`, micros(now), batch)
		if err != nil {
			return err
		}
		x, _ := a.RowsAffected()
		y, _ := b.RowsAffected()
		n = int(x + y)
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("pruning events: %w", err)
	}
	return n, nil
}
