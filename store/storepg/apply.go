package storepg

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/store"
)

const insertExecutionSQL = `INSERT INTO executions (` + executionCols + `, steps)
	VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22)`

// spillStepsSQL moves the step runs an execution keeps in its row (see
// store.InlineStepRuns) into step_runs rows (migration 0016).
const spillStepsSQL = "SELECT weft_spill_steps($1)"

// patchExecutionSQL sets a column when its flag is true; a true flag with a
// NULL value clears it. One statement serves every patch shape, so pgx's
// statement cache holds one plan. An owner that parks an execution
// (waiting, lease released) after a cancel was requested makes it due at
// once: the next claim sees the request and cancels it (see storesqlite).
const patchExecutionSQL = `UPDATE executions SET
	status        = CASE WHEN $1  THEN $2::text        ELSE status END,
	output        = CASE WHEN $3  THEN $4::bytea       ELSE output END,
	error_code    = CASE WHEN $5  THEN $6::text        ELSE error_code END,
	error_message = CASE WHEN $5  THEN $7::text        ELSE error_message END,
	response      = CASE WHEN $8  THEN $9::bytea       ELSE response END,
	started_at    = CASE WHEN $10 THEN $11::timestamptz ELSE started_at END,
	finished_at   = CASE WHEN $12 THEN $13::timestamptz ELSE finished_at END,
	wake_at       = CASE WHEN $1 AND $2::text = 'waiting' AND $16 AND $17::text IS NULL AND cancel_requested THEN 'epoch'::timestamptz
	                     WHEN $14 THEN (CASE WHEN $21::boolean AND wake_at IS NOT NULL AND wake_at < $15::timestamptz
	                THEN wake_at ELSE $15::timestamptz END) ELSE wake_at END,
	lease_owner   = CASE WHEN $16 THEN $17::text        ELSE lease_owner END,
	lease_until   = CASE WHEN $18 THEN $19::timestamptz ELSE lease_until END
	WHERE id = $20`

const upsertStepRunSQL = `INSERT INTO step_runs (` + stepRunCols + `)
	VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)` + onStepRunConflict

const onStepRunConflict = `
	ON CONFLICT (execution_id, step_id, item) DO UPDATE SET
	type = excluded.type, status = excluded.status, attempts = excluded.attempts,
	input = excluded.input, output = excluded.output, error_code = excluded.error_code,
	error_message = excluded.error_message, state = excluded.state, started_at = excluded.started_at,
	finished_at = excluded.finished_at, wake_at = excluded.wake_at, attempt_log = excluded.attempt_log`

// maxJoinedStepRuns bounds the step runs a create writes in the
// execution's own statement; each count is one more statement text in
// pgx's per-connection cache.
const maxJoinedStepRuns = 4

// insertExecutionWithStepRunsSQL[n] inserts an execution and its first n
// step runs in one statement: the fast path writes an execution that
// finished inside its request, with its step runs, and one statement
// instead of 1+n saves the server an executor start, a snapshot and a
// plan per row. Step runs have no foreign key (migration 0014), so the
// rows of the main INSERT need not see the CTE's.
var insertExecutionWithStepRunsSQL = func() [maxJoinedStepRuns + 1]string {
	var out [maxJoinedStepRuns + 1]string
	for n := 1; n <= maxJoinedStepRuns; n++ {
		var b strings.Builder
		b.WriteString("WITH e AS (" + insertExecutionSQL + ")\n\tINSERT INTO step_runs (" + stepRunCols + ") VALUES ")
		for i := 0; i < n; i++ {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString("(")
			for j := 0; j < 15; j++ {
				if j > 0 {
					b.WriteString(", ")
				}
				fmt.Fprintf(&b, "$%d", 23+i*15+j)
			}
			b.WriteString(")")
		}
		b.WriteString(onStepRunConflict)
		out[n] = b.String()
	}
	return out
}()

// deleteWaitsSQL removes every event wait of one execution.
const deleteWaitsSQL = "DELETE FROM event_waits WHERE execution_id = $1"

// Codes raised by the checks of migrations 0012 (weft_lease_held,
// weft_claim_dedupe) and 0014 (weft_execution_exists).
const (
	codeLeaseLost = "WF001"
	codeDuplicate = "WF002"
	codeNotFound  = "WF003"
)

// Apply writes m; see store.Executions. The whole mutation goes to the
// server in one pipelined batch, run as one implicit transaction, where any
// failing statement (a lost lease, a held dedupe key, a missing execution)
// aborts the rest, so nothing of a refused mutation is written. Concurrent
// Applies share that batch and its commit (see runGroup); Apply returns
// after the commit.
func (s *Store) Apply(ctx context.Context, m store.Mutation) (store.Result, error) {
	id, err := m.Validate()
	if err != nil {
		return store.Result{}, err
	}
	j := &applyJob{ctx: ctx, m: &m, id: id, now: time.Now(), done: make(chan struct{})}
	if err := s.apply(ctx, j); err != nil {
		return j.res, fmt.Errorf("applying mutation to execution %q: %w", id, err)
	}
	return j.res, nil
}

func (s *Store) applyBatch(ctx context.Context, m *store.Mutation, id string, res *store.Result, now time.Time) error {
	b := &pgx.Batch{}
	steps := queueMutation(b, nil, m, id, now)
	if len(steps) == 0 {
		return nil
	}
	// The first failing statement aborts the implicit transaction and the
	// statements after it are skipped. A patch that matched no row is
	// reported after the batch ran, but nothing else of it can have
	// written: the execution does not exist, so a lease or existence check
	// before its step runs raised, and there are no event waits to delete.
	br := s.pool.SendBatch(ctx, b)
	var first error
	for _, check := range steps {
		tag, err := br.Exec()
		if first == nil {
			first = check(tag, err)
		}
	}
	closeErr := br.Close()
	if first == nil && closeErr != nil {
		first = fmt.Errorf("committing: %w", closeErr)
	}
	if errors.Is(first, errDuplicateKey) {
		d := m.Dedupe
		if err := s.pool.QueryRow(ctx, "SELECT execution_id FROM dedupe_keys WHERE scope = $1 AND key = $2",
			d.Scope, d.Key).Scan(&res.Existing); err != nil && !errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("reading dedupe key: %w", err)
		}
		return fmt.Errorf("dedupe key %q/%q: %w", d.Scope, d.Key, weft.ErrDuplicate)
	}
	return first
}

// check turns one statement's outcome into the mutation's error, or nil.
type check func(pgconn.CommandTag, error) error

// queueMutation queues m's statements on b and appends to steps one check
// per statement, in order. It sends nothing.
func queueMutation(b *pgx.Batch, steps []check, m *store.Mutation, id string, now time.Time) []check {
	add := func(c check, sql string, args ...any) {
		b.Queue(sql, args...)
		steps = append(steps, c)
	}
	plain := func(what string) check {
		return func(_ pgconn.CommandTag, err error) error {
			if err != nil {
				return fmt.Errorf("%s: %w", what, err)
			}
			return nil
		}
	}
	joined := false // the step runs ride in the create's statement
	if c := m.Create; c != nil {
		if d := m.Dedupe; d != nil {
			var expires any
			if !d.ExpiresAt.IsZero() {
				expires = ts(d.ExpiresAt)
			}
			add(func(_ pgconn.CommandTag, err error) error {
				if pgCode(err) == codeDuplicate {
					return errDuplicateKey
				}
				return plainErr("claiming dedupe key", err)
			}, "SELECT weft_claim_dedupe($1, $2, $3, $4, $5)", d.Scope, d.Key, id, expires, ts(now))
		}
		created := c.CreatedAt
		if created.IsZero() {
			created = now
		}
		ec, em := errorCols(c.Error)
		inline := store.InlineStepRuns(m)
		args := []any{id, c.Workflow, c.WorkflowVersion, string(c.Status), c.Trigger,
			blob(c.Input), blob(c.Output), ec, em, c.ParentID, c.ParentStep, ts(created),
			nullTime(c.StartedAt), nullTime(c.FinishedAt), nullTime(c.WakeAt), c.CancelRequested,
			nullString(c.LeaseOwner), nullTime(c.LeaseUntil), blob(c.Response), blob(store.EncodeRetries(c.Retries)), c.TraceParent,
			blob(inline)}
		sql := insertExecutionSQL
		if inline != nil {
			joined = true // the step runs are in the row
		} else if n := len(m.StepRuns); n > 0 && n <= maxJoinedStepRuns && distinctStepRuns(m.StepRuns) {
			sql = insertExecutionWithStepRunsSQL[n]
			for i := range m.StepRuns {
				args = append(args, stepRunArgs(id, &m.StepRuns[i])...)
			}
			joined = true
		}
		add(func(_ pgconn.CommandTag, err error) error {
			if pgCode(err) == codeUnique {
				return fmt.Errorf("execution already exists: %w", weft.ErrConflict)
			}
			return plainErr("inserting execution", err)
		}, sql, args...)
	} else if m.Owner != "" {
		add(func(_ pgconn.CommandTag, err error) error {
			if pgCode(err) == codeLeaseLost {
				return fmt.Errorf("lease of %q: %w", m.Owner, weft.ErrLeaseLost)
			}
			return plainErr("checking lease", err)
		}, "SELECT weft_lease_held($1, $2)", id, m.Owner)
	} else if len(m.StepRuns) > 0 {
		// Step runs have no foreign key (migration 0014): without a create
		// or a lease check, which lock the execution, this check does.
		add(func(_ pgconn.CommandTag, err error) error {
			if pgCode(err) == codeNotFound {
				return fmt.Errorf("execution %q: %w", id, weft.ErrNotFound)
			}
			return plainErr("checking execution", err)
		}, "SELECT weft_execution_exists($1)", id)
	}
	if m.Create == nil && len(m.StepRuns) > 0 {
		// Step runs the execution keeps in its row become rows first, so
		// the upserts below replace or add to them as for any execution.
		add(plain("moving the step runs kept in the execution to step_runs"), spillStepsSQL, id)
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
		add(func(tag pgconn.CommandTag, err error) error {
			if err != nil {
				return fmt.Errorf("patching execution: %w", err)
			}
			if tag.RowsAffected() == 0 {
				return fmt.Errorf("execution %q: %w", id, weft.ErrNotFound)
			}
			return nil
		}, patchExecutionSQL,
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
		if p.Status != nil && p.Status.Finished() {
			// A finished execution waits for nothing: its event waits go
			// in the transaction that finishes it.
			add(plain("deleting the event waits of a finished execution"), deleteWaitsSQL, id)
		}
	}
	for i := range m.StepRuns {
		if joined {
			break
		}
		r := &m.StepRuns[i]
		add(plain(fmt.Sprintf("writing step run %q", r.StepID)), upsertStepRunSQL, stepRunArgs(id, r)...)
	}
	return steps
}

// stepRunArgs are upsertStepRunSQL's arguments for r.
func stepRunArgs(id string, r *weft.StepRun) []any {
	ec, em := errorCols(r.Error)
	return []any{id, r.StepID, r.Item, r.Type, string(r.Status), r.Attempts,
		blob(r.Input), blob(r.Output), ec, em, blob(r.State),
		nullTime(r.StartedAt), nullTime(r.FinishedAt), nullTime(r.WakeAt), store.EncodeHistory(r.History)}
}

// distinctStepRuns reports whether no two of rs share (step, item): one
// INSERT … ON CONFLICT DO UPDATE may not touch a row twice, so repeats are
// written one statement each, the later winning as before.
func distinctStepRuns(rs []weft.StepRun) bool {
	for i := range rs {
		for j := i + 1; j < len(rs); j++ {
			if rs[i].StepID == rs[j].StepID && rs[i].Item == rs[j].Item {
				return false
			}
		}
	}
	return true
}

// errDuplicateKey marks a held dedupe key inside applyBatch.
var errDuplicateKey = errors.New("dedupe key held")

func plainErr(what string, err error) error {
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	return nil
}
