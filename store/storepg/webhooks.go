package storepg

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/store"
)

var (
	_ store.WebhookDeliveries = (*Store)(nil)
	_ store.Subscriptions     = (*Store)(nil)
)

const deliveryCols = "id, workflow, path, received_at, source_ip, method, status, outcome, reason, scheme, key_id, dedupe_key, execution_id, request"

// recordDeliveriesSQL inserts a whole batch of deliveries in one statement,
// one array per column: the webhook trigger flushes its log every 50 ms,
// so under load one statement carries hundreds of rows instead of one
// statement (and one executor start) per row.
const recordDeliveriesSQL = "INSERT INTO webhook_deliveries (" + deliveryCols + `)
	SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::timestamptz[], $5::text[], $6::text[], $7::integer[],
		$8::text[], $9::text[], $10::text[], $11::text[], $12::text[], $13::text[], $14::bytea[])
	ON CONFLICT (id) DO NOTHING`

// RecordDeliveries implements store.WebhookDeliveries with one statement.
func (s *Store) RecordDeliveries(ctx context.Context, ds []store.WebhookDelivery) error {
	if len(ds) == 0 {
		return nil
	}
	n := len(ds)
	var (
		ids, workflows, paths, ips, methods = make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
		outcomes, reasons, schemes, keyIDs  = make([]string, n), make([]string, n), make([]string, n), make([]string, n)
		dedupeKeys, executionIDs            = make([]string, n), make([]string, n)
		received                            = make([]time.Time, n)
		statuses                            = make([]int32, n)
		requests                            = make([][]byte, n)
	)
	for i, d := range ds {
		ids[i], workflows[i], paths[i], received[i], ips[i] = d.ID, d.Workflow, d.Path, ts(d.ReceivedAt).UTC(), d.SourceIP
		methods[i], statuses[i], outcomes[i], reasons[i] = d.Method, int32(d.Status), d.Outcome, d.Reason
		schemes[i], keyIDs[i], dedupeKeys[i], executionIDs[i] = d.Scheme, d.KeyID, d.DedupeKey, d.ExecutionID
		if len(d.Request) > 0 {
			requests[i] = d.Request
		}
	}
	if _, err := s.pool.Exec(ctx, recordDeliveriesSQL, ids, workflows, paths, received, ips, methods, statuses,
		outcomes, reasons, schemes, keyIDs, dedupeKeys, executionIDs, requests); err != nil {
		return fmt.Errorf("recording %d webhook deliveries: %w", n, err)
	}
	return nil
}

func scanDelivery(row pgx.Row) (store.WebhookDelivery, error) {
	var d store.WebhookDelivery
	var req []byte
	if err := row.Scan(&d.ID, &d.Workflow, &d.Path, &d.ReceivedAt, &d.SourceIP, &d.Method, &d.Status, &d.Outcome, &d.Reason,
		&d.Scheme, &d.KeyID, &d.DedupeKey, &d.ExecutionID, &req); err != nil {
		return d, err
	}
	d.ReceivedAt = d.ReceivedAt.UTC()
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
	add := func(cond string, v any) {
		args = append(args, v)
		where = append(where, strings.Replace(cond, "?", "$"+strconv.Itoa(len(args)), 1))
	}
	if f.Workflow != "" {
		add("workflow = ?", f.Workflow)
	}
	if f.Outcome != "" {
		add("outcome = ?", f.Outcome)
		if f.Outcome != store.OutcomeAccepted {
			where = append(where, store.DeliveryOutcomeIndexTerm)
		}
	}
	if f.Cursor != "" {
		id, err := parseWorkflowCursor(f.Cursor)
		if err != nil {
			return "", nil, fmt.Errorf("bad cursor: %w", weft.ErrInvalid)
		}
		add("id < ?", id)
	}
	q := "SELECT " + deliveryCols + " FROM webhook_deliveries"
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	args = append(args, limit+1)
	return q + " ORDER BY id DESC LIMIT $" + strconv.Itoa(len(args)), args, nil
}

// RecordDeliveriesDeferred implements store.DeferredDeliveryLog: a
// PostgreSQL flush is one statement in a transaction of its own, with
// nothing to fold it into, so the rows are written at once.
func (s *Store) RecordDeliveriesDeferred(ctx context.Context, ds []store.WebhookDelivery) error {
	return s.RecordDeliveries(ctx, ds)
}

// ListDeliveries implements store.WebhookDeliveries.
func (s *Store) ListDeliveries(ctx context.Context, f store.DeliveryFilter) ([]store.WebhookDelivery, string, error) {
	limit := pageLimit(f.Limit)
	q, args, err := listDeliveriesSQL(f, limit)
	if err != nil {
		return nil, "", fmt.Errorf("listing webhook deliveries: %w", err)
	}
	rows, err := s.pool.Query(ctx, q, args...)
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
	d, err := scanDelivery(s.pool.QueryRow(ctx, "SELECT "+deliveryCols+" FROM webhook_deliveries WHERE id = $1", id))
	if errors.Is(err, pgx.ErrNoRows) {
		return d, fmt.Errorf("webhook delivery %q: %w", id, weft.ErrNotFound)
	}
	if err != nil {
		return d, fmt.Errorf("reading webhook delivery %q: %w", id, err)
	}
	return d, nil
}

// pruneDeliveriesSelectSQL picks, among the $2 oldest deliveries by id,
// those received before $1: a walk of the primary key that stops after $2
// rows, so the log needs no received_at index (migration 0015) and a prune
// with nothing to delete reads $2 rows, not the log.
const pruneDeliveriesSelectSQL = `SELECT id FROM (SELECT id, received_at FROM webhook_deliveries ORDER BY id LIMIT $2) oldest
	WHERE received_at < $1`

// PruneDeliveries implements store.WebhookDeliveries.
func (s *Store) PruneDeliveries(ctx context.Context, before time.Time, batch int) (int, error) {
	if batch <= 0 {
		return 0, nil
	}
	tag, err := s.pool.Exec(ctx, "DELETE FROM webhook_deliveries WHERE id IN ("+pruneDeliveriesSelectSQL+")", before.UTC(), batch)
	if err != nil {
		return 0, fmt.Errorf("pruning webhook deliveries: %w", err)
	}
	return int(tag.RowsAffected()), nil
}

const subscriptionCols = "id, url, events, workflows, description, secret, enabled, disabled_reason, created_at, updated_at, last_success_at, failing_since"

func scanSubscription(row pgx.Row) (store.Subscription, error) {
	var s store.Subscription
	var events, workflows []byte
	if err := row.Scan(&s.ID, &s.URL, &events, &workflows, &s.Description, &s.Secret, &s.Enabled, &s.DisabledReason,
		&s.CreatedAt, &s.UpdatedAt, &s.LastSuccessAt, &s.FailingSince); err != nil {
		return s, err
	}
	if err := json.Unmarshal(events, &s.Events); err != nil {
		return s, fmt.Errorf("decoding events: %w", err)
	}
	if err := json.Unmarshal(workflows, &s.Workflows); err != nil {
		return s, fmt.Errorf("decoding workflows: %w", err)
	}
	s.CreatedAt, s.UpdatedAt = s.CreatedAt.UTC(), s.UpdatedAt.UTC()
	for _, p := range []**time.Time{&s.LastSuccessAt, &s.FailingSince} {
		if *p != nil {
			t := (*p).UTC()
			*p = &t
		}
	}
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
	now := time.Now().UTC().Truncate(time.Microsecond)
	row := s.pool.QueryRow(ctx, `INSERT INTO webhook_subscriptions (`+subscriptionCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9, $10, $11)
		ON CONFLICT (id) DO UPDATE SET url = excluded.url, events = excluded.events, workflows = excluded.workflows,
		description = excluded.description, secret = excluded.secret, enabled = excluded.enabled,
		disabled_reason = excluded.disabled_reason, updated_at = excluded.updated_at,
		last_success_at = excluded.last_success_at, failing_since = excluded.failing_since
		RETURNING created_at, updated_at`,
		sub.ID, sub.URL, jsonList(sub.Events), jsonList(sub.Workflows), sub.Description, sub.Secret, sub.Enabled,
		sub.DisabledReason, now, nullTime(sub.LastSuccessAt), nullTime(sub.FailingSince))
	if err := row.Scan(&sub.CreatedAt, &sub.UpdatedAt); err != nil {
		return store.Subscription{}, fmt.Errorf("storing subscription %q: %w", sub.ID, err)
	}
	sub.CreatedAt, sub.UpdatedAt = sub.CreatedAt.UTC(), sub.UpdatedAt.UTC()
	return sub, nil
}

// GetSubscription implements store.Subscriptions.
func (s *Store) GetSubscription(ctx context.Context, id string) (store.Subscription, error) {
	sub, err := scanSubscription(s.pool.QueryRow(ctx, "SELECT "+subscriptionCols+" FROM webhook_subscriptions WHERE id = $1", id))
	if errors.Is(err, pgx.ErrNoRows) {
		return sub, fmt.Errorf("subscription %q: %w", id, weft.ErrNotFound)
	}
	if err != nil {
		return sub, fmt.Errorf("reading subscription %q: %w", id, err)
	}
	return sub, nil
}

// ListSubscriptions implements store.Subscriptions.
func (s *Store) ListSubscriptions(ctx context.Context) ([]store.Subscription, error) {
	rows, err := s.pool.Query(ctx, "SELECT "+subscriptionCols+" FROM webhook_subscriptions ORDER BY id")
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
	tag, err := s.pool.Exec(ctx, "DELETE FROM webhook_subscriptions WHERE id = $1", id)
	if err != nil {
		return fmt.Errorf("deleting subscription %q: %w", id, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("subscription %q: %w", id, weft.ErrNotFound)
	}
	return nil
}

// RecordSubscriptionResult implements store.Subscriptions.
func (s *Store) RecordSubscriptionResult(ctx context.Context, id string, ok bool, at time.Time) (store.Subscription, error) {
	q := "UPDATE webhook_subscriptions SET failing_since = COALESCE(failing_since, $1) WHERE id = $2"
	if ok {
		q = "UPDATE webhook_subscriptions SET last_success_at = $1, failing_since = NULL WHERE id = $2"
	}
	tag, err := s.pool.Exec(ctx, q, at.UTC(), id)
	if err != nil {
		return store.Subscription{}, fmt.Errorf("recording delivery result of subscription %q: %w", id, err)
	}
	if tag.RowsAffected() == 0 {
		return store.Subscription{}, fmt.Errorf("subscription %q: %w", id, weft.ErrNotFound)
	}
	return s.GetSubscription(ctx, id)
}

// DisableSubscription implements store.Subscriptions.
func (s *Store) DisableSubscription(ctx context.Context, id, reason string, at time.Time) error {
	if _, err := s.pool.Exec(ctx, "UPDATE webhook_subscriptions SET enabled = false, disabled_reason = $1, updated_at = $2 WHERE id = $3",
		reason, at.UTC(), id); err != nil {
		return fmt.Errorf("disabling subscription %q: %w", id, err)
	}
	return nil
}
