package storesqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/store"
)

// GetExecution returns an execution (weft.ErrNotFound if absent).
func (s *Store) GetExecution(ctx context.Context, id string) (weft.Execution, error) {
	e, err := scanExecution(s.rdb.QueryRowContext(ctx, "SELECT "+executionCols+" FROM executions WHERE id = ?", id))
	if errors.Is(err, sql.ErrNoRows) {
		return weft.Execution{}, fmt.Errorf("execution %q: %w", id, weft.ErrNotFound)
	}
	if err != nil {
		return weft.Execution{}, fmt.Errorf("reading execution %q: %w", id, err)
	}
	return e, nil
}

// GetStepRuns returns the step runs of an execution ordered by start time
// (not yet started last), step id and item: those it keeps in its row, or
// else its step_runs rows (an execution never has both, see spill).
func (s *Store) GetStepRuns(ctx context.Context, executionID string) ([]weft.StepRun, error) {
	var inline []byte
	err := s.rdb.QueryRowContext(ctx, inlineStepsSQL, executionID).Scan(&inline)
	switch {
	case err == nil:
		return store.DecodeInlineStepRuns(executionID, inline)
	case !errors.Is(err, sql.ErrNoRows):
		return nil, fmt.Errorf("reading step runs of %q: %w", executionID, err)
	}
	rows, err := s.rdb.QueryContext(ctx, "SELECT "+stepRunCols+` FROM step_runs WHERE execution_id = ?
		ORDER BY started_at IS NULL, started_at, step_id, item`, executionID)
	if err != nil {
		return nil, fmt.Errorf("reading step runs of %q: %w", executionID, err)
	}
	defer rows.Close()
	var out []weft.StepRun
	for rows.Next() {
		r, err := scanStepRun(rows)
		if err != nil {
			return nil, fmt.Errorf("reading step runs of %q: %w", executionID, err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("reading step runs of %q: %w", executionID, err)
	}
	return out, nil
}

// ListExecutions lists executions newest first, by (created_at, id).
func (s *Store) ListExecutions(ctx context.Context, f store.ExecutionFilter) ([]weft.Execution, string, error) {
	limit := pageLimit(f.Limit)
	q, args, err := listExecutionsSQL(f, limit)
	if err != nil {
		return nil, "", fmt.Errorf("listing executions: %w", err)
	}
	return s.listExecutions(ctx, q, args, limit)
}

// listExecutionsSQL is ListExecutions' query (separate for the plan tests).
func listExecutionsSQL(f store.ExecutionFilter, limit int) (string, []any, error) {
	var (
		where []string
		args  []any
	)
	if f.Workflow != "" {
		where = append(where, "workflow = ?")
		args = append(args, f.Workflow)
	}
	if f.Status != "" {
		where = append(where, "status = ?")
		args = append(args, string(f.Status))
		if store.StatusIndexable(f.Status) {
			where = append(where, store.StatusIndexTerm)
		}
	}
	if f.Cursor != "" {
		created, id, err := parseExecutionCursor(f.Cursor)
		if err != nil {
			return "", nil, err
		}
		where = append(where, "(created_at < ? OR (created_at = ? AND id < ?))")
		args = append(args, created, created, id)
	}
	q := "SELECT " + executionCols + " FROM executions"
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q += " ORDER BY created_at DESC, id DESC LIMIT ?"
	args = append(args, limit+1)
	return q, args, nil
}

func (s *Store) listExecutions(ctx context.Context, q string, args []any, limit int) ([]weft.Execution, string, error) {
	rows, err := s.rdb.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, "", fmt.Errorf("listing executions: %w", err)
	}
	defer rows.Close()
	out := make([]weft.Execution, 0, limit)
	for rows.Next() {
		e, err := scanExecution(rows)
		if err != nil {
			return nil, "", fmt.Errorf("listing executions: %w", err)
		}
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, "", fmt.Errorf("listing executions: %w", err)
	}
	if len(out) > limit {
		out = out[:limit]
		return out, executionCursor(out[limit-1]), nil
	}
	return out, "", nil
}

// runningCountsSQL counts the running executions per workflow (claims of
// workflows with a running limit).
const runningCountsSQL = "SELECT workflow, COUNT(*) FROM executions WHERE status = 'running' AND " + store.StatusIndexTerm + " GROUP BY workflow"

// CountExecutions counts executions of workflow (all workflows when empty)
// in the given statuses (all statuses when none).
func (s *Store) CountExecutions(ctx context.Context, workflow string, statuses ...weft.ExecutionStatus) (int, error) {
	q, args := countExecutionsSQL(workflow, statuses...)
	var n int
	if err := s.rdb.QueryRowContext(ctx, q, args...).Scan(&n); err != nil {
		return 0, fmt.Errorf("counting executions of %q: %w", workflow, err)
	}
	return n, nil
}

// countExecutionsSQL is CountExecutions' query.
func countExecutionsSQL(workflow string, statuses ...weft.ExecutionStatus) (string, []any) {
	var (
		where []string
		args  []any
	)
	if workflow != "" {
		where = append(where, "workflow = ?")
		args = append(args, workflow)
	}
	if len(statuses) > 0 {
		where = append(where, "status IN (?"+strings.Repeat(", ?", len(statuses)-1)+")")
		for _, st := range statuses {
			args = append(args, string(st))
		}
		if store.StatusIndexable(statuses...) {
			where = append(where, store.StatusIndexTerm)
		}
	}
	q := "SELECT COUNT(*) FROM executions"
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	return q, args
}

// claimCandidatesSQL selects executions that need a worker, oldest first:
// unfinished ones with no live lease, except waiting ones that nobody held
// and whose wake time has not come.
const claimCandidatesSQL = `SELECT id, workflow, status FROM executions
	WHERE status IN ('queued', 'running', 'waiting')
	  AND (lease_owner IS NULL OR lease_until IS NULL OR lease_until <= ?1)
	  AND (status <> 'waiting' OR lease_owner IS NOT NULL OR wake_at <= ?1)
	ORDER BY created_at, id`

// claimSQL clears wake_at: the wake that made the execution claimable is
// spent, and a wake set while it runs (a child finished) must stand out
// against the one it parks with (ExecutionPatch.KeepEarlierWake).
const claimSQL = `UPDATE executions SET status = 'running', lease_owner = ?, lease_until = ?, wake_at = NULL
	WHERE id = ? RETURNING ` + executionCols

// Claim leases up to limit executions to owner; see store.Executions. The
// single writer makes claims serial, so no execution goes to two owners.
func (s *Store) Claim(ctx context.Context, owner string, now time.Time, lease time.Duration, limit int, limits map[string]int) ([]weft.Execution, error) {
	if owner == "" {
		return nil, fmt.Errorf("claiming executions: owner is empty: %w", weft.ErrInvalid)
	}
	if limit <= 0 {
		return nil, nil
	}
	var out []weft.Execution
	err := s.do(ctx, func(w *writer, _ time.Time) error {
		out = out[:0]
		return w.claim(owner, now, now.Add(lease), limit, limits, &out)
	})
	if err != nil {
		return nil, fmt.Errorf("claiming executions: %w", err)
	}
	return out, nil
}

func (w *writer) claim(owner string, now, until time.Time, limit int, limits map[string]int, out *[]weft.Execution) error {
	// running counts only for workflows with a limit.
	running := map[string]int{}
	if len(limits) > 0 {
		rows, err := w.conn.QueryContext(w.ctx, runningCountsSQL)
		if err != nil {
			return fmt.Errorf("counting running executions: %w", err)
		}
		for rows.Next() {
			var wf string
			var n int
			if err := rows.Scan(&wf, &n); err != nil {
				rows.Close()
				return fmt.Errorf("counting running executions: %w", err)
			}
			running[wf] = n
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("counting running executions: %w", err)
		}
	}

	rows, err := w.conn.QueryContext(w.ctx, claimCandidatesSQL, now.UnixMicro())
	if err != nil {
		return fmt.Errorf("selecting candidates: %w", err)
	}
	var ids []string
	recovered := map[string]bool{}
	for rows.Next() && len(ids) < limit {
		var id, wf, status string
		if err := rows.Scan(&id, &wf, &status); err != nil {
			rows.Close()
			return fmt.Errorf("selecting candidates: %w", err)
		}
		// A running execution whose owner died is already counted; taking
		// it over does not add to its workflow's running count.
		if capacity, ok := limits[wf]; ok && capacity > 0 && status != string(weft.ExecutionRunning) {
			if running[wf] >= capacity {
				continue
			}
			running[wf]++
		}
		ids = append(ids, id)
		if status == string(weft.ExecutionRunning) {
			recovered[id] = true // its owner stopped without releasing it
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("selecting candidates: %w", err)
	}
	for _, id := range ids {
		e, err := scanExecution(w.conn.QueryRowContext(w.ctx, claimSQL, owner, until.UnixMicro(), id))
		if err != nil {
			return fmt.Errorf("leasing %q: %w", id, err)
		}
		e.Recovered = recovered[id]
		*out = append(*out, e)
	}
	return nil
}

const renewSQL = `UPDATE executions SET lease_until = ?
	WHERE id = ? AND lease_owner = ? AND status IN ('queued', 'running', 'waiting')
	RETURNING cancel_requested`

// Renew extends owner's leases; see store.Executions.
func (s *Store) Renew(ctx context.Context, owner string, ids []string, until time.Time) (lost, cancel []string, err error) {
	if len(ids) == 0 {
		return nil, nil, nil
	}
	// The job fills slices of its own: when ctx ends first, do returns
	// while the writer may still run the job, which must not then write
	// to the results this call is returning.
	var gone, canceled []string
	err = s.do(ctx, func(w *writer, _ time.Time) error {
		gone, canceled = gone[:0], canceled[:0]
		for _, id := range ids {
			var cancelRequested bool
			err := w.renew.QueryRowContext(w.ctx, until.UnixMicro(), id, owner).Scan(&cancelRequested)
			switch {
			case errors.Is(err, sql.ErrNoRows):
				gone = append(gone, id)
			case err != nil:
				return fmt.Errorf("renewing %q: %w", id, err)
			case cancelRequested:
				canceled = append(canceled, id)
			}
		}
		return nil
	})
	if err != nil {
		return nil, nil, fmt.Errorf("renewing leases of %q: %w", owner, err)
	}
	return gone, canceled, nil
}

// NextWake returns the earliest wake time of a waiting execution nobody
// holds, or the zero time.
func (s *Store) NextWake(ctx context.Context) (time.Time, error) {
	var v sql.NullInt64
	err := s.rdb.QueryRowContext(ctx, `SELECT MIN(wake_at) FROM executions
		WHERE status = 'waiting' AND lease_owner IS NULL AND wake_at IS NOT NULL`).Scan(&v)
	if err != nil {
		return time.Time{}, fmt.Errorf("reading next wake time: %w", err)
	}
	if !v.Valid {
		return time.Time{}, nil
	}
	return fromMicros(v.Int64), nil
}

// RequestCancel marks an execution for cancellation; see store.Executions.
func (s *Store) RequestCancel(ctx context.Context, id string, now time.Time) (weft.Execution, error) {
	var out weft.Execution
	err := s.do(ctx, func(w *writer, _ time.Time) error {
		e, err := scanExecution(w.conn.QueryRowContext(w.ctx, "SELECT "+executionCols+" FROM executions WHERE id = ?", id))
		if errors.Is(err, sql.ErrNoRows) {
			return weft.ErrNotFound
		}
		if err != nil {
			return err
		}
		if e.Status.Finished() {
			return fmt.Errorf("execution already finished (%s): %w", e.Status, weft.ErrConflict)
		}
		held := e.LeaseOwner != "" && e.LeaseUntil != nil && e.LeaseUntil.After(now)
		// A QueryRow runs at once and holds the connection until scanned,
		// so exactly one is issued.
		if !held && (e.Status == weft.ExecutionQueued || e.Status == weft.ExecutionWaiting) {
			out, err = scanExecution(w.conn.QueryRowContext(w.ctx, `UPDATE executions SET cancel_requested = 1,
				status = 'canceled', finished_at = ?, wake_at = NULL, lease_owner = NULL, lease_until = NULL
				WHERE id = ? RETURNING `+executionCols, now.UnixMicro(), id))
			if err != nil {
				return err
			}
			_, err = w.conn.ExecContext(w.ctx, deleteWaitsSQL, id)
		} else {
			out, err = scanExecution(w.conn.QueryRowContext(w.ctx,
				"UPDATE executions SET cancel_requested = 1 WHERE id = ? RETURNING "+executionCols, id))
		}
		return err
	})
	if err != nil {
		return weft.Execution{}, fmt.Errorf("canceling execution %q: %w", id, err)
	}
	return out, nil
}

// ResetForRetry turns a failed execution back to queued; see
// store.Executions. The step runs that did not succeed are moved into a new
// weft.PriorRun (so the retry keeps them) and deleted so that they run
// again; succeeded ones are kept.
func (s *Store) ResetForRetry(ctx context.Context, id string, now time.Time, by string) (weft.Execution, error) {
	var out weft.Execution
	err := s.do(ctx, func(w *writer, _ time.Time) error {
		ex, err := scanExecution(w.conn.QueryRowContext(w.ctx, "SELECT "+executionCols+" FROM executions WHERE id = ?", id))
		if errors.Is(err, sql.ErrNoRows) {
			return weft.ErrNotFound
		}
		if err != nil {
			return err
		}
		if ex.Status != weft.ExecutionFailed {
			return fmt.Errorf("execution has status %s; only failed executions can be retried: %w", ex.Status, weft.ErrConflict)
		}
		if err := w.spill(id); err != nil {
			return err
		}
		replaced, err := w.replacedStepRuns(id)
		if err != nil {
			return err
		}
		retries := weft.AppendRetry(ex.Retries, weft.NewPriorRun(ex, replaced, by, now))
		if _, err := w.conn.ExecContext(w.ctx, "DELETE FROM step_runs WHERE execution_id = ? AND status <> 'succeeded'", id); err != nil {
			return fmt.Errorf("deleting step runs: %w", err)
		}
		// started_at is cleared: the retry is a new run, and the workflow's
		// timeout counts from its start, not from the first run's.
		out, err = scanExecution(w.conn.QueryRowContext(w.ctx, `UPDATE executions SET status = 'queued',
			error_code = NULL, error_message = NULL, started_at = NULL, finished_at = NULL, wake_at = NULL,
			lease_owner = NULL, lease_until = NULL, cancel_requested = 0, retries = ?
			WHERE id = ? RETURNING `+executionCols, store.EncodeRetries(retries), id))
		return err
	})
	if err != nil {
		return weft.Execution{}, fmt.Errorf("resetting execution %q for retry: %w", id, err)
	}
	return out, nil
}

// replacedStepRuns reads the step runs a retry runs again, bounded so a
// for_each of many failed items cannot make the record large.
func (w *writer) replacedStepRuns(id string) ([]weft.StepRun, error) {
	rows, err := w.conn.QueryContext(w.ctx, "SELECT "+stepRunCols+` FROM step_runs
		WHERE execution_id = ? AND status <> 'succeeded'
		ORDER BY started_at IS NULL, started_at, step_id, item LIMIT ?`, id, weft.MaxPriorSteps+1)
	if err != nil {
		return nil, fmt.Errorf("reading step runs: %w", err)
	}
	defer rows.Close()
	var out []weft.StepRun
	for rows.Next() {
		r, err := scanStepRun(rows)
		if err != nil {
			return nil, fmt.Errorf("reading step runs: %w", err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// pruneSelectSQL: the unary + keeps SQLite from choosing the status index,
// which would visit every finished execution to find the few old ones.
const pruneSelectSQL = `SELECT id FROM executions
	WHERE finished_at < ?1 AND +status IN ('succeeded', 'failed', 'canceled')
	ORDER BY finished_at, id LIMIT ?2`

// Prune deletes up to batch executions finished before `before`, their step
// runs, and up to batch expired dedupe keys, then hands free pages back to
// the file system (PRAGMA incremental_vacuum).
func (s *Store) Prune(ctx context.Context, before time.Time, batch int) (int, error) {
	if batch <= 0 {
		return 0, nil
	}
	var n int
	err := s.do(ctx, func(w *writer, now time.Time) error {
		if _, err := w.conn.ExecContext(w.ctx, "DELETE FROM step_runs WHERE execution_id IN ("+pruneSelectSQL+")",
			before.UnixMicro(), batch); err != nil {
			return fmt.Errorf("deleting step runs: %w", err)
		}
		res, err := w.conn.ExecContext(w.ctx, "DELETE FROM executions WHERE id IN ("+pruneSelectSQL+")", before.UnixMicro(), batch)
		if err != nil {
			return fmt.Errorf("deleting executions: %w", err)
		}
		deleted, err := res.RowsAffected()
		if err != nil {
			return fmt.Errorf("deleting executions: %w", err)
		}
		n = int(deleted)
		res, err = w.conn.ExecContext(w.ctx, `DELETE FROM dedupe_keys WHERE (scope, key) IN (
			SELECT scope, key FROM dedupe_keys WHERE expires_at <= ? LIMIT ?)`, now.UnixMicro(), batch)
		if err != nil {
			return fmt.Errorf("deleting expired dedupe keys: %w", err)
		}
		keys, _ := res.RowsAffected()
		if n > 0 || keys > 0 {
			// Each step of the pragma frees one page; drain it.
			rows, err := w.conn.QueryContext(w.ctx, "PRAGMA incremental_vacuum")
			if err != nil {
				return fmt.Errorf("reclaiming free pages: %w", err)
			}
			for rows.Next() {
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return fmt.Errorf("reclaiming free pages: %w", err)
			}
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("pruning executions: %w", err)
	}
	return n, nil
}
