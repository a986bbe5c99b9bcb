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

const insertExecutionSQL = `INSERT INTO executions (` + executionCols + `, steps)
	VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`

// inlineStepsSQL reads the step runs an execution keeps in its row (see
// store.InlineStepRuns); no row when it keeps none.
const inlineStepsSQL = "SELECT steps FROM executions WHERE id = ? AND steps IS NOT NULL"

// patchExecutionSQL sets a column when its flag is true; a true flag with a
// NULL value clears it. One prepared statement serves every patch shape.
// An owner that parks an execution (waiting, lease released) after a cancel was requested
// makes it due at once (wake_at 0), whatever wake it asked for: the next
// claim sees the request and cancels it, so a cancel that raced with the
// parking commit is not lost until the wait's own wake-up.
const patchExecutionSQL = `UPDATE executions SET
	status        = CASE WHEN ?1  THEN ?2  ELSE status END,
	output        = CASE WHEN ?3  THEN ?4  ELSE output END,
	error_code    = CASE WHEN ?5  THEN ?6  ELSE error_code END,
	error_message = CASE WHEN ?5  THEN ?7  ELSE error_message END,
	response      = CASE WHEN ?8  THEN ?9  ELSE response END,
	started_at    = CASE WHEN ?10 THEN ?11 ELSE started_at END,
	finished_at   = CASE WHEN ?12 THEN ?13 ELSE finished_at END,
	wake_at       = CASE WHEN ?1 AND ?2 = 'waiting' AND ?16 AND ?17 IS NULL AND cancel_requested THEN 0
	                     WHEN ?14 THEN (CASE WHEN ?21 AND wake_at IS NOT NULL AND wake_at < ?15 THEN wake_at ELSE ?15 END) ELSE wake_at END,
	lease_owner   = CASE WHEN ?16 THEN ?17 ELSE lease_owner END,
	lease_until   = CASE WHEN ?18 THEN ?19 ELSE lease_until END
	WHERE id = ?20`

const upsertStepRunSQL = `INSERT INTO step_runs (` + stepRunCols + `)
	VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
	ON CONFLICT (execution_id, step_id, item) DO UPDATE SET
	type = excluded.type, status = excluded.status, attempts = excluded.attempts,
	input = excluded.input, output = excluded.output, error_code = excluded.error_code,
	error_message = excluded.error_message, state = excluded.state, started_at = excluded.started_at,
	finished_at = excluded.finished_at, wake_at = excluded.wake_at, attempt_log = excluded.attempt_log`

const putDedupeSQL = `INSERT INTO dedupe_keys (scope, key, execution_id, expires_at) VALUES (?, ?, ?, ?)
	ON CONFLICT (scope, key) DO UPDATE SET execution_id = excluded.execution_id, expires_at = excluded.expires_at`

// deleteWaitsSQL removes every event wait of one execution.
const deleteWaitsSQL = "DELETE FROM event_waits WHERE execution_id = ?"

// Apply writes m atomically through the group-commit writer; see
// store.Executions. It returns once the batch holding m is committed.
func (s *Store) Apply(ctx context.Context, m store.Mutation) (store.Result, error) {
	id, err := m.Validate()
	if err != nil {
		return store.Result{}, err
	}
	var res store.Result
	err = s.do(ctx, func(w *writer, now time.Time) error { return w.apply(&m, id, &res, now) })
	if err != nil {
		return res, fmt.Errorf("applying mutation to execution %q: %w", id, err)
	}
	return res, nil
}

func (w *writer) apply(m *store.Mutation, id string, res *store.Result, now time.Time) error {
	var inline []byte // the step runs kept in the new execution's row
	if c := m.Create; c != nil {
		if d := m.Dedupe; d != nil {
			var existing string
			var exp sql.NullInt64
			err := w.getDedupe.QueryRowContext(w.ctx, d.Scope, d.Key).Scan(&existing, &exp)
			switch {
			case err == nil && (!exp.Valid || exp.Int64 > now.UnixMicro()):
				res.Existing = existing
				return fmt.Errorf("dedupe key %q/%q: %w", d.Scope, d.Key, weft.ErrDuplicate)
			case err != nil && !errors.Is(err, sql.ErrNoRows):
				return fmt.Errorf("reading dedupe key: %w", err)
			}
			var expires any
			if !d.ExpiresAt.IsZero() {
				expires = d.ExpiresAt.UnixMicro()
			}
			if _, err := w.putDedupe.ExecContext(w.ctx, d.Scope, d.Key, id, expires); err != nil {
				return fmt.Errorf("claiming dedupe key: %w", err)
			}
		}
		created := c.CreatedAt
		if created.IsZero() {
			created = now
		}
		ec, em := errorCols(c.Error)
		inline = store.InlineStepRuns(m)
		if _, err := w.insertExec.ExecContext(w.ctx, id, c.Workflow, c.WorkflowVersion, string(c.Status), c.Trigger,
			blob(c.Input), blob(c.Output), ec, em, c.ParentID, c.ParentStep, micros(created),
			nullMicros(c.StartedAt), nullMicros(c.FinishedAt), nullMicros(c.WakeAt), c.CancelRequested,
			nullString(c.LeaseOwner), nullMicros(c.LeaseUntil), blob(c.Response), blob(store.EncodeRetries(c.Retries)), c.TraceParent,
			blob(inline)); err != nil {
			if isUnique(err) {
				return fmt.Errorf("execution already exists: %w", weft.ErrConflict)
			}
			return fmt.Errorf("inserting execution: %w", err)
		}
	} else if m.Owner != "" {
		var owner sql.NullString
		err := w.fence.QueryRowContext(w.ctx, id).Scan(&owner)
		if errors.Is(err, sql.ErrNoRows) || (err == nil && owner.String != m.Owner) {
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
		var wake any
		if p.WakeAt != nil {
			wake = micros(*p.WakeAt)
		}
		setLease := p.LeaseOwner != "" || p.ReleaseLease
		res, err := w.patchExec.ExecContext(w.ctx,
			p.Status != nil, status,
			p.Output != nil, blob(p.Output),
			p.Error != nil || p.ClearError, ec, em,
			p.Response != nil, blob(p.Response),
			p.StartedAt != nil, nullMicros(p.StartedAt),
			p.FinishedAt != nil, nullMicros(p.FinishedAt),
			p.WakeAt != nil || p.ClearWake, wake,
			setLease, nullString(p.LeaseOwner),
			p.LeaseUntil != nil || p.ReleaseLease, leaseUntil(p),
			id, p.KeepEarlierWake && p.WakeAt != nil)
		if err != nil {
			return fmt.Errorf("patching execution: %w", err)
		}
		if n, err := res.RowsAffected(); err != nil {
			return fmt.Errorf("patching execution: %w", err)
		} else if n == 0 {
			return fmt.Errorf("execution %q: %w", id, weft.ErrNotFound)
		}
		if p.Status != nil && p.Status.Finished() {
			// A finished execution waits for nothing: its event waits go
			// in the write that finishes it, so the table holds only live
			// waits and nobody has to filter out stale ones.
			if _, err := w.conn.ExecContext(w.ctx, deleteWaitsSQL, id); err != nil {
				return fmt.Errorf("deleting the event waits of a finished execution: %w", err)
			}
		}
	}

	if inline != nil || len(m.StepRuns) == 0 {
		return nil
	}
	if m.Create == nil {
		if err := w.spill(id); err != nil {
			return err
		}
	}
	for i := range m.StepRuns {
		if err := w.putStepRun(id, &m.StepRuns[i]); err != nil {
			return err
		}
	}
	return nil
}

// putStepRun inserts or replaces one step_runs row.
func (w *writer) putStepRun(id string, r *weft.StepRun) error {
	ec, em := errorCols(r.Error)
	if _, err := w.upsertStep.ExecContext(w.ctx, id, r.StepID, r.Item, r.Type, string(r.Status), r.Attempts,
		blob(r.Input), blob(r.Output), ec, em, blob(r.State),
		nullMicros(r.StartedAt), nullMicros(r.FinishedAt), nullMicros(r.WakeAt), store.EncodeHistory(r.History)); err != nil {
		if isForeignKey(err) {
			return fmt.Errorf("step run %q of execution %q: %w", r.StepID, id, weft.ErrNotFound)
		}
		return fmt.Errorf("writing step run %q: %w", r.StepID, err)
	}
	return nil
}

// spill moves the step runs execution id keeps in its row into step_runs
// rows, before a write of a step run of it, so that write upserts rows as
// for any other execution. An execution that keeps none costs one lookup.
func (w *writer) spill(id string) error {
	var b []byte
	err := w.inlineSteps.QueryRowContext(w.ctx, id).Scan(&b)
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("reading the step runs kept in execution %q: %w", id, err)
	}
	runs, err := store.DecodeInlineStepRuns(id, b)
	if err != nil {
		return err
	}
	if _, err := w.conn.ExecContext(w.ctx, "UPDATE executions SET steps = NULL WHERE id = ?", id); err != nil {
		return fmt.Errorf("moving the step runs kept in execution %q to step_runs: %w", id, err)
	}
	for i := range runs {
		if err := w.putStepRun(id, &runs[i]); err != nil {
			return err
		}
	}
	return nil
}

// leaseUntil is the lease_until value of a patch: a new deadline, or NULL
// when the lease is released.
func leaseUntil(p *store.ExecutionPatch) any {
	if p.LeaseUntil != nil {
		return micros(*p.LeaseUntil)
	}
	return nil
}
