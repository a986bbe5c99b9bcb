package storesqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/store"
)

var (
	_ store.WebhookDeliveries = (*Store)(nil)
	_ store.Subscriptions     = (*Store)(nil)
)

const deliveryCols = "id, workflow, path, received_at, source_ip, method, status, outcome, reason, scheme, key_id, dedupe_key, execution_id, request"

// RecordDeliveries implements store.WebhookDeliveries.
func (s *Store) RecordDeliveries(ctx context.Context, ds []store.WebhookDelivery) error {
	if len(ds) == 0 {
		return nil
	}
	// The writer may still run the job after ctx ends and this returns; the
	// caller may then reuse ds (the delivery recorder does), so the job
	// reads a copy of its own.
	return s.recordDeliveries(ctx, ds, s.do)
}

// RecordDeliveriesDeferred implements store.DeferredDeliveryLog: the rows
// are written in the transaction of the next execution write (in their own
// savepoint), so the delivery log costs no commit and no fsync of its own
// while requests flow; without other writes they commit alone within
// 250 ms.
func (s *Store) RecordDeliveriesDeferred(ctx context.Context, ds []store.WebhookDelivery) error {
	if len(ds) == 0 {
		return nil
	}
	return s.recordDeliveries(ctx, ds, s.doDeferred)
}

func (s *Store) recordDeliveries(ctx context.Context, ds []store.WebhookDelivery,
	do func(context.Context, func(*writer, time.Time) error) error) error {
	ds = slices.Clone(ds)
	err := do(ctx, func(w *writer, _ time.Time) error {
		st, err := w.conn.PrepareContext(w.ctx, "INSERT OR IGNORE INTO webhook_deliveries ("+deliveryCols+") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
		if err != nil {
			return err
		}
		defer st.Close()
		for _, d := range ds {
			if _, err := st.ExecContext(w.ctx, d.ID, d.Workflow, d.Path, micros(d.ReceivedAt), d.SourceIP, d.Method, d.Status,
				d.Outcome, d.Reason, d.Scheme, d.KeyID, d.DedupeKey, d.ExecutionID, blob(d.Request)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("recording %d webhook deliveries: %w", len(ds), err)
	}
	return nil
}

func scanDelivery(sc scanner) (store.WebhookDelivery, error) {
	var d store.WebhookDelivery
	var received int64
	var req []byte
	if err := sc.Scan(&d.ID, &d.Workflow, &d.Path, &received, &d.SourceIP, &d.Method, &d.Status, &d.Outcome, &d.Reason,
		&d.Scheme, &d.KeyID, &d.DedupeKey, &d.ExecutionID, &req); err != nil {
		return d, err
	}
	d.ReceivedAt = fromMicros(received)
	if len(req) > 0 {
		d.Request = json.RawMessage(req)
	}
	return d, nil
}

// listDeliveriesSQL builds the query of ListDeliveries for a page of limit
// rows (it asks for one more to know whether a next page exists).
func listDeliveriesSQL(f store.DeliveryFilter, limit int) (string, []any, error) {
	var where []string
	var args []any
	if f.Workflow != "" {
		where, args = append(where, "workflow = ?"), append(args, f.Workflow)
	}
	if f.Outcome != "" {
		where, args = append(where, "outcome = ?"), append(args, f.Outcome)
		if f.Outcome != store.OutcomeAccepted {
			where = append(where, store.DeliveryOutcomeIndexTerm)
		}
	}
	if f.Cursor != "" {
		id, err := parseWorkflowCursor(f.Cursor)
		if err != nil {
			return "", nil, fmt.Errorf("bad cursor: %w", weft.ErrInvalid)
		}
		where, args = append(where, "id < ?"), append(args, id)
	}
	q := "SELECT " + deliveryCols + " FROM webhook_deliveries"
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	return q + " ORDER BY id DESC LIMIT ?", append(args, limit+1), nil
}

// ListDeliveries implements store.WebhookDeliveries.
func (s *Store) ListDeliveries(ctx context.Context, f store.DeliveryFilter) ([]store.WebhookDelivery, string, error) {
	limit := pageLimit(f.Limit)
	q, args, err := listDeliveriesSQL(f, limit)
	if err != nil {
		return nil, "", fmt.Errorf("listing webhook deliveries: %w", err)
	}
	rows, err := s.rdb.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, "", fmt.Errorf("listing webhook deliveries: %w", err)
	}
	defer rows.Close()
	var out []store.WebhookDelivery
	for rows.Next() {
		d, err := scanDelivery(rows)
		if err != nil {
			return nil, "", fmt.Errorf("listing webhook deliveries: %w", err)
		}
		out = append(out, d)
	}
	if err := rows.Err(); err != nil {
		return nil, "", fmt.Errorf("listing webhook deliveries: %w", err)
	}
	next := ""
	if len(out) > limit {
		out = out[:limit]
		next = workflowCursor(out[limit-1].ID)
	}
	return out, next, nil
}

// GetDelivery implements store.WebhookDeliveries.
func (s *Store) GetDelivery(ctx context.Context, id string) (store.WebhookDelivery, error) {
	d, err := scanDelivery(s.rdb.QueryRowContext(ctx, "SELECT "+deliveryCols+" FROM webhook_deliveries WHERE id = ?", id))
	if errors.Is(err, sql.ErrNoRows) {
		return d, fmt.Errorf("webhook delivery %q: %w", id, weft.ErrNotFound)
	}
	if err != nil {
		return d, fmt.Errorf("reading webhook delivery %q: %w", id, err)
	}
	return d, nil
}

// pruneDeliveriesSelectSQL picks, among the ?2 oldest deliveries by id,
// those received before ?1: a walk of the primary key that stops after ?2
// rows, so the log needs no received_at index (migration 0015) and a prune
// with nothing to delete reads ?2 rows, not the log.
const pruneDeliveriesSelectSQL = `SELECT id FROM (SELECT id, received_at FROM webhook_deliveries ORDER BY id LIMIT ?2)
	WHERE received_at < ?1`

// PruneDeliveries implements store.WebhookDeliveries.
func (s *Store) PruneDeliveries(ctx context.Context, before time.Time, batch int) (int, error) {
	if batch <= 0 {
		return 0, nil
	}
	var n int64
	err := s.do(ctx, func(w *writer, _ time.Time) error {
		res, err := w.conn.ExecContext(w.ctx, "DELETE FROM webhook_deliveries WHERE id IN ("+pruneDeliveriesSelectSQL+")",
			micros(before), batch)
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("pruning webhook deliveries: %w", err)
	}
	return int(n), nil
}

const subscriptionCols = "id, url, events, workflows, description, secret, enabled, disabled_reason, created_at, updated_at, last_success_at, failing_since"

func scanSubscription(sc scanner) (store.Subscription, error) {
	var s store.Subscription
	var events, workflows []byte
	var created, updated int64
	var last, failing sql.NullInt64
	if err := sc.Scan(&s.ID, &s.URL, &events, &workflows, &s.Description, &s.Secret, &s.Enabled, &s.DisabledReason,
		&created, &updated, &last, &failing); err != nil {
		return s, err
	}
	if err := json.Unmarshal(events, &s.Events); err != nil {
		return s, fmt.Errorf("decoding events: %w", err)
	}
	if err := json.Unmarshal(workflows, &s.Workflows); err != nil {
		return s, fmt.Errorf("decoding workflows: %w", err)
	}
	s.CreatedAt, s.UpdatedAt = fromMicros(created), fromMicros(updated)
	s.LastSuccessAt, s.FailingSince = timePtr(last), timePtr(failing)
	return s, nil
}

func jsonList(l []string) []byte {
	if l == nil {
		l = []string{}
	}
	b, _ := json.Marshal(l)
	return b
}

// PutSubscription implements store.Subscriptions.
func (s *Store) PutSubscription(ctx context.Context, sub store.Subscription) (store.Subscription, error) {
	err := s.do(ctx, func(w *writer, now time.Time) error {
		var created int64
		err := w.conn.QueryRowContext(w.ctx, "SELECT created_at FROM webhook_subscriptions WHERE id = ?", sub.ID).Scan(&created)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			created = now.UnixMicro()
		case err != nil:
			return err
		}
		_, err = w.conn.ExecContext(w.ctx, `INSERT INTO webhook_subscriptions (`+subscriptionCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (id) DO UPDATE SET url = excluded.url, events = excluded.events, workflows = excluded.workflows,
			description = excluded.description, secret = excluded.secret, enabled = excluded.enabled,
			disabled_reason = excluded.disabled_reason, updated_at = excluded.updated_at,
			last_success_at = excluded.last_success_at, failing_since = excluded.failing_since`,
			sub.ID, sub.URL, jsonList(sub.Events), jsonList(sub.Workflows), sub.Description, sub.Secret, sub.Enabled,
			sub.DisabledReason, created, now.UnixMicro(), nullMicros(sub.LastSuccessAt), nullMicros(sub.FailingSince))
		if err != nil {
			return err
		}
		sub.CreatedAt, sub.UpdatedAt = fromMicros(created), fromMicros(now.UnixMicro())
		return nil
	})
	if err != nil {
		return store.Subscription{}, fmt.Errorf("storing subscription %q: %w", sub.ID, err)
	}
	return sub, nil
}

// GetSubscription implements store.Subscriptions.
func (s *Store) GetSubscription(ctx context.Context, id string) (store.Subscription, error) {
	sub, err := scanSubscription(s.rdb.QueryRowContext(ctx, "SELECT "+subscriptionCols+" FROM webhook_subscriptions WHERE id = ?", id))
	if errors.Is(err, sql.ErrNoRows) {
		return sub, fmt.Errorf("subscription %q: %w", id, weft.ErrNotFound)
	}
	if err != nil {
		return sub, fmt.Errorf("reading subscription %q: %w", id, err)
	}
	return sub, nil
}

// ListSubscriptions implements store.Subscriptions.
func (s *Store) ListSubscriptions(ctx context.Context) ([]store.Subscription, error) {
	rows, err := s.rdb.QueryContext(ctx, "SELECT "+subscriptionCols+" FROM webhook_subscriptions ORDER BY id")
	if err != nil {
		return nil, fmt.Errorf("listing subscriptions: %w", err)
	}
	defer rows.Close()
	var out []store.Subscription
	for rows.Next() {
		sub, err := scanSubscription(rows)
		if err != nil {
			return nil, fmt.Errorf("listing subscriptions: %w", err)
		}
		out = append(out, sub)
	}
	return out, rows.Err()
}

// DeleteSubscription implements store.Subscriptions.
func (s *Store) DeleteSubscription(ctx context.Context, id string) error {
	var n int64
	err := s.do(ctx, func(w *writer, _ time.Time) error {
		res, err := w.conn.ExecContext(w.ctx, "DELETE FROM webhook_subscriptions WHERE id = ?", id)
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	if err != nil {
		return fmt.Errorf("deleting subscription %q: %w", id, err)
	}
	if n == 0 {
		return fmt.Errorf("subscription %q: %w", id, weft.ErrNotFound)
	}
	return nil
}

// RecordSubscriptionResult implements store.Subscriptions.
func (s *Store) RecordSubscriptionResult(ctx context.Context, id string, ok bool, at time.Time) (store.Subscription, error) {
	q := "UPDATE webhook_subscriptions SET failing_since = COALESCE(failing_since, ?) WHERE id = ?"
	if ok {
		q = "UPDATE webhook_subscriptions SET last_success_at = ?, failing_since = NULL WHERE id = ?"
	}
	var n int64
	err := s.do(ctx, func(w *writer, _ time.Time) error {
		res, err := w.conn.ExecContext(w.ctx, q, micros(at), id)
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	if err != nil {
		return store.Subscription{}, fmt.Errorf("recording delivery result of subscription %q: %w", id, err)
	}
	if n == 0 {
		return store.Subscription{}, fmt.Errorf("subscription %q: %w", id, weft.ErrNotFound)
	}
	return s.GetSubscription(ctx, id)
}

// DisableSubscription implements store.Subscriptions.
func (s *Store) DisableSubscription(ctx context.Context, id, reason string, at time.Time) error {
	err := s.do(ctx, func(w *writer, _ time.Time) error {
		_, err := w.conn.ExecContext(w.ctx, "UPDATE webhook_subscriptions SET enabled = 0, disabled_reason = ?, updated_at = ? WHERE id = ?",
			reason, micros(at), id)
		return err
	})
	if err != nil {
		return fmt.Errorf("disabling subscription %q: %w", id, err)
	}
	return nil
}
