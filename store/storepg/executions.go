package storepg

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/store"
)

// GetExecution returns an execution (weft.ErrNotFound if absent).
func (s *Store) GetExecution(ctx context.Context, id string) (weft.Execution, error) {
	e, err := scanExecution(s.pool.QueryRow(ctx, "SELECT "+executionCols+" FROM executions WHERE id = $1", id))
	if errors.Is(err, pgx.ErrNoRows) {
		return weft.Execution{}, fmt.Errorf("execution %q: %w", id, weft.ErrNotFound)
	}
	if err != nil {
		return weft.Execution{}, fmt.Errorf("reading execution %q: %w", id, err)
	}
	return e, nil
}

// GetStepRuns returns the step runs of an execution ordered by start time
// (not yet started last), step id and item: those it keeps in its row, or
// else its step_runs rows (an execution never has both: weft_spill_steps
// clears the row as it writes the rows).
func (s *Store) GetStepRuns(ctx context.Context, executionID string) ([]weft.StepRun, error) {
	var inline []byte
	err := s.pool.QueryRow(ctx, "SELECT steps FROM executions WHERE id = $1 AND steps IS NOT NULL", executionID).Scan(&inline)
	switch {
	case err == nil:
		return store.DecodeInlineStepRuns(executionID, inline)
	case !errors.Is(err, pgx.ErrNoRows):
		return nil, fmt.Errorf("reading step runs of %q: %w", executionID, err)
	}
	rows, err := s.pool.Query(ctx, "SELECT "+stepRunCols+` FROM step_runs WHERE execution_id = $1
		ORDER BY started_at IS NULL, started_at, step_id, item`, executionID)
	if err != nil {
		return nil, fmt.Errorf("reading step runs of %q: %w", executionID, err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (weft.StepRun, error) { return scanStepRun(r) })
	if err != nil {
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
	rows, err := s.pool.Query(ctx, q, args...)
	if err != nil {
		return nil, "", fmt.Errorf("listing executions: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (weft.Execution, error) { return scanExecution(r) })
	if err != nil {
		return nil, "", fmt.Errorf("listing executions: %w", err)
	}
	if len(out) > limit {
		out = out[:limit]
		return out, executionCursor(out[limit-1]), nil
	}
	return out, "", nil
}

// listExecutionsSQL is ListExecutions' query (separate for the plan tests).
func listExecutionsSQL(f store.ExecutionFilter, limit int) (string, []any, error) {
	var (
		where []string
		args  []any
	)
	arg := func(v any) string { args = append(args, v); return "$" + strconv.Itoa(len(args)) }
	if f.Workflow != "" {
		where = append(where, "workflow = "+arg(f.Workflow))
	}
	if f.Status != "" {
		where = append(where, "status = "+arg(string(f.Status)))
		if store.StatusIndexable(f.Status) {
			where = append(where, store.StatusIndexTerm)
		}
	}
	if f.Cursor != "" {
		created, id, err := parseExecutionCursor(f.Cursor)
		if err != nil {
			return "", nil, err
		}
		where = append(where, "(created_at, id) < ("+arg(created)+", "+arg(id)+")")
	}
	q := "SELECT " + executionCols + " FROM executions"
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q += ` ORDER BY created_at DESC, id DESC LIMIT ` + arg(limit+1)
	return q, args, nil
}

// CountExecutions counts executions of workflow (all workflows when empty)
// in the given statuses (all statuses when none).
func (s *Store) CountExecutions(ctx context.Context, workflow string, statuses ...weft.ExecutionStatus) (int, error) {
	st := make([]string, len(statuses))
	for i, v := range statuses {
		st[i] = string(v)
	}
	var n int
	err := s.pool.QueryRow(ctx, countExecutionsSQL(statuses...), workflow, st).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("counting executions of %q: %w", workflow, err)
	}
	return n, nil
}

// countExecutionsSQL is CountExecutions' query: $1 the workflow (” for
// all), $2 the statuses.
func countExecutionsSQL(statuses ...weft.ExecutionStatus) string {
	q := `SELECT COUNT(*) FROM executions
		WHERE ($1 = '' OR workflow = $1) AND (cardinality($2::text[]) = 0 OR status = ANY($2))`
	if store.StatusIndexable(statuses...) {
		q += " AND " + store.StatusIndexTerm
	}
	return q
}

// runningCountSQL counts the running executions of workflow $1 (a claim
// of a workflow with a running limit).
const runningCountSQL = "SELECT COUNT(*) FROM executions WHERE workflow = $1 AND status = 'running' AND " + store.StatusIndexTerm

// claimCandidatesSQL selects and locks executions that need a worker,
// oldest first, skipping rows another process is claiming or writing.
const claimCandidatesSQL = `SELECT id, workflow, status FROM executions
	WHERE status IN ('queued', 'running', 'waiting')
	  AND (lease_owner IS NULL OR lease_until IS NULL OR lease_until <= $1)
	  AND (status <> 'waiting' OR lease_owner IS NOT NULL OR wake_at <= $1)
	  AND NOT (id = ANY($2)) AND NOT (workflow = ANY($3))
	ORDER BY created_at, id
	LIMIT $4
	FOR UPDATE SKIP LOCKED`

// Claim leases up to limit executions to owner; see store.Executions.
//
// Rows are locked with FOR UPDATE SKIP LOCKED, so processes claiming at once
// never get the same execution. A workflow with a running limit is counted
// under a transaction-scoped advisory lock on its name; a process that
// cannot get the lock at once skips the workflow this round instead of
// waiting, so claims never deadlock and the limit holds across processes.
func (s *Store) Claim(ctx context.Context, owner string, now time.Time, lease time.Duration, limit int, limits map[string]int) ([]weft.Execution, error) {
	if owner == "" {
		return nil, fmt.Errorf("claiming executions: owner is empty: %w", weft.ErrInvalid)
	}
	if limit <= 0 {
		return nil, nil
	}
	var out []weft.Execution
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var err error
		out, err = claim(ctx, tx, owner, ts(now), ts(now.Add(lease)), limit, limits)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("claiming executions: %w", err)
	}
	return out, nil
}

type candidate struct{ id, workflow, status string }

func claim(ctx context.Context, tx pgx.Tx, owner string, now, until time.Time, limit int, limits map[string]int) ([]weft.Execution, error) {
	var (
		picked    []string
		recovered = map[string]bool{} // running under a lease that expired
		seen      = []string{}
		excluded  = []string{}
		room      = map[string]int{} // remaining running slots of locked, limited workflows
	)
	for len(picked) < limit {
		want := limit - len(picked)
		rows, err := tx.Query(ctx, claimCandidatesSQL, now, seen, excluded, want)
		if err != nil {
			return nil, fmt.Errorf("selecting candidates: %w", err)
		}
		cands, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (candidate, error) {
			var c candidate
			return c, r.Scan(&c.id, &c.workflow, &c.status)
		})
		if err != nil {
			return nil, fmt.Errorf("selecting candidates: %w", err)
		}
		for _, c := range cands {
			seen = append(seen, c.id)
			if c.status == string(weft.ExecutionRunning) {
				recovered[c.id] = true
			}
			capacity, limited := limits[c.workflow]
			// A running execution whose owner died is already counted.
			if !limited || capacity <= 0 || c.status == string(weft.ExecutionRunning) {
				picked = append(picked, c.id)
				continue
			}
			left, ok := room[c.workflow]
			if !ok {
				if left, err = workflowRoom(ctx, tx, c.workflow, capacity); err != nil {
					return nil, err
				}
				room[c.workflow] = left
			}
			if left <= 0 {
				excluded = append(excluded, c.workflow)
				continue
			}
			room[c.workflow] = left - 1
			picked = append(picked, c.id)
		}
		if len(cands) < want {
			break // nothing more to find
		}
	}
	if len(picked) == 0 {
		return nil, nil
	}
	// wake_at is cleared: the wake that made it claimable is spent, and a
	// wake set while it runs (a child finished) must stand out against the
	// one it parks with (ExecutionPatch.KeepEarlierWake).
	rows, err := tx.Query(ctx, `UPDATE executions SET status = 'running', lease_owner = $1, lease_until = $2, wake_at = NULL
		WHERE id = ANY($3) RETURNING `+executionCols, owner, until, picked)
	if err != nil {
		return nil, fmt.Errorf("leasing executions: %w", err)
	}
	leased, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (weft.Execution, error) { return scanExecution(r) })
	if err != nil {
		return nil, fmt.Errorf("leasing executions: %w", err)
	}
	byID := make(map[string]weft.Execution, len(leased))
	for _, e := range leased {
		e.Recovered = recovered[e.ID]
		byID[e.ID] = e
	}
	out := make([]weft.Execution, 0, len(picked))
	for _, id := range picked { // oldest first, as selected
		out = append(out, byID[id])
	}
	return out, nil
}

// workflowRoom returns how many more executions of workflow may start, 0 if
// another process holds the workflow's claim lock right now.
func workflowRoom(ctx context.Context, tx pgx.Tx, workflow string, capacity int) (int, error) {
	var locked bool
	if err := tx.QueryRow(ctx, "SELECT pg_try_advisory_xact_lock($1, hashtext($2))", lockClaim, workflow).Scan(&locked); err != nil {
		return 0, fmt.Errorf("locking workflow %q: %w", workflow, err)
	}
	if !locked {
		return 0, nil
	}
	var running int
	if err := tx.QueryRow(ctx, runningCountSQL, workflow).Scan(&running); err != nil {
		return 0, fmt.Errorf("counting running executions of %q: %w", workflow, err)
	}
	return capacity - running, nil
}

// Renew extends owner's leases; see store.Executions.
func (s *Store) Renew(ctx context.Context, owner string, ids []string, until time.Time) (lost, cancel []string, err error) {
	if len(ids) == 0 {
		return nil, nil, nil
	}
	rows, err := s.pool.Query(ctx, `UPDATE executions SET lease_until = $1
		WHERE id = ANY($2) AND lease_owner = $3 AND status IN ('queued', 'running', 'waiting')
		RETURNING id, cancel_requested`, ts(until), ids, owner)
	if err != nil {
		return nil, nil, fmt.Errorf("renewing leases of %q: %w", owner, err)
	}
	renewed := map[string]bool{}
	var (
		id       string
		canceled bool
	)
	_, err = pgx.ForEachRow(rows, []any{&id, &canceled}, func() error {
		renewed[id] = canceled
		return nil
	})
	if err != nil {
		return nil, nil, fmt.Errorf("renewing leases of %q: %w", owner, err)
	}
	for _, id := range ids {
		c, ok := renewed[id]
		switch {
		case !ok:
			lost = append(lost, id)
		case c:
			cancel = append(cancel, id)
		}
	}
	return lost, cancel, nil
}

// NextWake returns the earliest wake time of a waiting execution nobody
// holds, or the zero time.
func (s *Store) NextWake(ctx context.Context) (time.Time, error) {
	var t *time.Time
	err := s.pool.QueryRow(ctx, `SELECT MIN(wake_at) FROM executions
		WHERE status = 'waiting' AND lease_owner IS NULL AND wake_at IS NOT NULL`).Scan(&t)
	if err != nil {
		return time.Time{}, fmt.Errorf("reading next wake time: %w", err)
	}
	if t == nil {
		return time.Time{}, nil
	}
	return t.UTC(), nil
}

// RequestCancel marks an execution for cancellation; see store.Executions.
func (s *Store) RequestCancel(ctx context.Context, id string, now time.Time) (weft.Execution, error) {
	var out weft.Execution
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		e, err := scanExecution(tx.QueryRow(ctx, "SELECT "+executionCols+" FROM executions WHERE id = $1 FOR UPDATE", id))
		if errors.Is(err, pgx.ErrNoRows) {
			return weft.ErrNotFound
		}
		if err != nil {
			return err
		}
		if e.Status.Finished() {
			return fmt.Errorf("execution already finished (%s): %w", e.Status, weft.ErrConflict)
		}
		held := e.LeaseOwner != "" && e.LeaseUntil != nil && e.LeaseUntil.After(now)
		if !held && (e.Status == weft.ExecutionQueued || e.Status == weft.ExecutionWaiting) {
			out, err = scanExecution(tx.QueryRow(ctx, `UPDATE executions SET cancel_requested = true,
				status = 'canceled', finished_at = $2, wake_at = NULL, lease_owner = NULL, lease_until = NULL
				WHERE id = $1 RETURNING `+executionCols, id, ts(now)))
			if err != nil {
				return err
			}
			_, err = tx.Exec(ctx, deleteWaitsSQL, id)
		} else {
			out, err = scanExecution(tx.QueryRow(ctx,
				"UPDATE executions SET cancel_requested = true WHERE id = $1 RETURNING "+executionCols, id))
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
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		ex, err := scanExecution(tx.QueryRow(ctx, "SELECT "+executionCols+" FROM executions WHERE id = $1 FOR UPDATE", id))
		if errors.Is(err, pgx.ErrNoRows) {
			return weft.ErrNotFound
		}
		if err != nil {
			return err
		}
		if ex.Status != weft.ExecutionFailed {
			return fmt.Errorf("execution has status %s; only failed executions can be retried: %w", ex.Status, weft.ErrConflict)
		}
		if _, err := tx.Exec(ctx, spillStepsSQL, id); err != nil {
			return fmt.Errorf("moving the step runs kept in the execution to step_runs: %w", err)
		}
		replaced, err := replacedStepRuns(ctx, tx, id)
		if err != nil {
			return err
		}
		retries := weft.AppendRetry(ex.Retries, weft.NewPriorRun(ex, replaced, by, now))
		if _, err := tx.Exec(ctx, "DELETE FROM step_runs WHERE execution_id = $1 AND status <> 'succeeded'", id); err != nil {
			return fmt.Errorf("deleting step runs: %w", err)
		}
		// started_at is cleared: the retry is a new run, and the workflow's
		// timeout counts from its start, not from the first run's.
		out, err = scanExecution(tx.QueryRow(ctx, `UPDATE executions SET status = 'queued',
			error_code = NULL, error_message = NULL, started_at = NULL, finished_at = NULL, wake_at = NULL,
			lease_owner = NULL, lease_until = NULL, cancel_requested = false, retries = $2
			WHERE id = $1 RETURNING `+executionCols, id, store.EncodeRetries(retries)))
		return err
	})
	if err != nil {
		return weft.Execution{}, fmt.Errorf("resetting execution %q for retry: %w", id, err)
	}
	return out, nil
}

// replacedStepRuns reads the step runs a retry runs again, bounded so a
// for_each of many failed items cannot make the record large.
func replacedStepRuns(ctx context.Context, tx pgx.Tx, id string) ([]weft.StepRun, error) {
	rows, err := tx.Query(ctx, "SELECT "+stepRunCols+` FROM step_runs
		WHERE execution_id = $1 AND status <> 'succeeded'
		ORDER BY started_at IS NULL, started_at, step_id, item LIMIT $2`, id, weft.MaxPriorSteps+1)
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

// Prune deletes up to batch executions finished before `before`, their step
// runs, and up to batch expired dedupe keys. PostgreSQL's autovacuum reuses
// the freed space.
func (s *Store) Prune(ctx context.Context, before time.Time, batch int) (int, error) {
	if batch <= 0 {
		return 0, nil
	}
	var n int
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT id FROM executions
			WHERE finished_at < $1 AND status IN ('succeeded', 'failed', 'canceled')
			ORDER BY finished_at, id LIMIT $2 FOR UPDATE SKIP LOCKED`, ts(before), batch)
		if err != nil {
			return fmt.Errorf("selecting executions: %w", err)
		}
		ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			return fmt.Errorf("selecting executions: %w", err)
		}
		if len(ids) > 0 {
			if _, err := tx.Exec(ctx, "DELETE FROM step_runs WHERE execution_id = ANY($1)", ids); err != nil {
				return fmt.Errorf("deleting step runs: %w", err)
			}
			tag, err := tx.Exec(ctx, "DELETE FROM executions WHERE id = ANY($1)", ids)
			if err != nil {
				return fmt.Errorf("deleting executions: %w", err)
			}
			n = int(tag.RowsAffected())
		}
		if _, err := tx.Exec(ctx, `DELETE FROM dedupe_keys WHERE (scope, key) IN (
			SELECT scope, key FROM dedupe_keys WHERE expires_at <= $1 LIMIT $2 FOR UPDATE SKIP LOCKED)`,
			ts(time.Now()), batch); err != nil {
			return fmt.Errorf("deleting expired dedupe keys: %w", err)
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("pruning executions: %w", err)
	}
	return n, nil
}
