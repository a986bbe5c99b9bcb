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

const insertExecutionSQL = `INSERT INTO executions (` + executionCols + `)
	VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21)`

// patchExecutionSQL sets a column when its flag is true; a true flag with a
// NULL value clears it. One statement serves every patch shape, so pgx's
// statement cache holds one plan.
const patchExecutionSQL = `UPDATE executions SET
	status        = CASE WHEN $1  THEN $2::text        ELSE status END,
	output        = CASE WHEN $3  THEN $4::bytea       ELSE output END,
	error_code    = CASE WHEN $5  THEN $6::text        ELSE error_code END,
	error_message = CASE WHEN $5  THEN $7::text        ELSE error_message END,
	response      = CASE WHEN $8  THEN $9::bytea       ELSE response END,
	started_at    = CASE WHEN $10 THEN $11::timestamptz ELSE started_at END,
	finished_at   = CASE WHEN $12 THEN $13::timestamptz ELSE finished_at END,
	wake_at       = CASE WHEN $14 THEN (CASE WHEN $21::boolean AND wake_at IS NOT NULL AND wake_at < $15::timestamptz
	                THEN wake_at ELSE $15::timestamptz END) ELSE wake_at END,
	lease_owner   = CASE WHEN $16 THEN $17::text        ELSE lease_owner END,
	lease_until   = CASE WHEN $18 THEN $19::timestamptz ELSE lease_until END
	WHERE id = $20`

const upsertStepRunSQL = `INSERT INTO step_runs (` + stepRunCols + `)
	VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)
	ON CONFLICT (execution_id, step_id, item) DO UPDATE SET
	type = excluded.type, status = excluded.status, attempts = excluded.attempts,
	input = excluded.input, output = excluded.output, error_code = excluded.error_code,
	error_message = excluded.error_message, state = excluded.state, started_at = excluded.started_at,
	finished_at = excluded.finished_at, wake_at = excluded.wake_at, attempt_log = excluded.attempt_log`

// claimDedupeSQL inserts the key, or takes over an expired one. Concurrent
// inserts of one key wait for each other on the primary key, so exactly one
// gets a row back.
const claimDedupeSQL = `INSERT INTO dedupe_keys (scope, key, execution_id, expires_at) VALUES ($1, $2, $3, $4)
	ON CONFLICT (scope, key) DO UPDATE SET execution_id = excluded.execution_id, expires_at = excluded.expires_at
	WHERE dedupe_keys.expires_at IS NOT NULL AND dedupe_keys.expires_at <= $5
	RETURNING execution_id`

// Apply writes m in its own transaction; see store.Executions. PostgreSQL
// groups the commits of concurrent transactions into shared WAL flushes.
// deleteWaitsSQL removes every event wait of one execution.
const deleteWaitsSQL = "DELETE FROM event_waits WHERE execution_id = $1"

func (s *Store) Apply(ctx context.Context, m store.Mutation) (store.Result, error) {
	id, err := m.Validate()
	if err != nil {
		return store.Result{}, err
	}
	var res store.Result
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error { return apply(ctx, tx, &m, id, &res, time.Now()) })
	if err != nil {
		return res, fmt.Errorf("applying mutation to execution %q: %w", id, err)
	}
	return res, nil
}

func apply(ctx context.Context, tx pgx.Tx, m *store.Mutation, id string, res *store.Result, now time.Time) error {
	if c := m.Create; c != nil {
		if d := m.Dedupe; d != nil {
			var expires any
			if !d.ExpiresAt.IsZero() {
				expires = ts(d.ExpiresAt)
			}
			var got string
			err := tx.QueryRow(ctx, claimDedupeSQL, d.Scope, d.Key, id, expires, ts(now)).Scan(&got)
			if errors.Is(err, pgx.ErrNoRows) {
				if err := tx.QueryRow(ctx, "SELECT execution_id FROM dedupe_keys WHERE scope = $1 AND key = $2",
					d.Scope, d.Key).Scan(&res.Existing); err != nil {
					return fmt.Errorf("reading dedupe key: %w", err)
				}
				return fmt.Errorf("dedupe key %q/%q: %w", d.Scope, d.Key, weft.ErrDuplicate)
			}
			if err != nil {
				return fmt.Errorf("claiming dedupe key: %w", err)
			}
		}
		created := c.CreatedAt
		if created.IsZero() {
			created = now
		}
		ec, em := errorCols(c.Error)
		if _, err := tx.Exec(ctx, insertExecutionSQL, id, c.Workflow, c.WorkflowVersion, string(c.Status), c.Trigger,
			blob(c.Input), blob(c.Output), ec, em, c.ParentID, c.ParentStep, ts(created),
			nullTime(c.StartedAt), nullTime(c.FinishedAt), nullTime(c.WakeAt), c.CancelRequested,
			nullString(c.LeaseOwner), nullTime(c.LeaseUntil), blob(c.Response), blob(store.EncodeRetries(c.Retries)), c.TraceParent); err != nil {
			if pgCode(err) == codeUnique {
				return fmt.Errorf("execution already exists: %w", weft.ErrConflict)
			}
			return fmt.Errorf("inserting execution: %w", err)
		}
	} else if m.Owner != "" {
		// FOR UPDATE holds the row until commit: a concurrent Claim skips
		// it, and a Claim that committed first is seen here.
		var owner *string
		err := tx.QueryRow(ctx, "SELECT lease_owner FROM executions WHERE id = $1 FOR UPDATE", id).Scan(&owner)
		if errors.Is(err, pgx.ErrNoRows) || (err == nil && (owner == nil || *owner != m.Owner)) {
			return fmt.Errorf("lease of %q: %w", m.Owner, weft.ErrLeaseLost)
		}
		if err != nil {
			return fmt.Errorf("checking lease: %w", err)
		}
	}

	if p := m.Patch; p != nil {
		var status any
		if p.Status != nil {
			status = string(*p.Status)
		}
		var ec, em any
		if p.Error != nil {
			ec, em = errorCols(p.Error)
		}
		var until any
		if p.LeaseUntil != nil {
			until = ts(*p.LeaseUntil)
		}
		tag, err := tx.Exec(ctx, patchExecutionSQL,
			p.Status != nil, status,
			p.Output != nil, blob(p.Output),
			p.Error != nil || p.ClearError, ec, em,
			p.Response != nil, blob(p.Response),
			p.StartedAt != nil, nullTime(p.StartedAt),
			p.FinishedAt != nil, nullTime(p.FinishedAt),
			p.WakeAt != nil || p.ClearWake, nullTime(p.WakeAt),
			p.LeaseOwner != "" || p.ReleaseLease, nullString(p.LeaseOwner),
			p.LeaseUntil != nil || p.ReleaseLease, until,
			id, p.KeepEarlierWake && p.WakeAt != nil)
		if err != nil {
			return fmt.Errorf("patching execution: %w", err)
		}
		if tag.RowsAffected() == 0 {
			return fmt.Errorf("execution %q: %w", id, weft.ErrNotFound)
		}
		if p.Status != nil && p.Status.Finished() {
			// A finished execution waits for nothing: its event waits go
			// in the transaction that finishes it.
			if _, err := tx.Exec(ctx, deleteWaitsSQL, id); err != nil {
				return fmt.Errorf("deleting the event waits of a finished execution: %w", err)
			}
		}
	}

	for i := range m.StepRuns {
		r := &m.StepRuns[i]
		ec, em := errorCols(r.Error)
		if _, err := tx.Exec(ctx, upsertStepRunSQL, id, r.StepID, r.Item, r.Type, string(r.Status), r.Attempts,
			blob(r.Input), blob(r.Output), ec, em, blob(r.State),
			nullTime(r.StartedAt), nullTime(r.FinishedAt), nullTime(r.WakeAt), store.EncodeHistory(r.History)); err != nil {
			if pgCode(err) == codeForeignKey {
				return fmt.Errorf("step run %q of execution %q: %w", r.StepID, id, weft.ErrNotFound)
			}
			return fmt.Errorf("writing step run %q: %w", r.StepID, err)
		}
	}
	return nil
}
