package storesqlite

import (
	"context"
	"database/sql"
	"fmt"
	"runtime"
	"time"
)

// job is one unit of write work. The writer runs it inside its own SAVEPOINT
// of a shared transaction, so its outcome is all-or-nothing whatever the
// other jobs of the batch do.
type job struct {
	ctx  context.Context
	fn   func(w *writer, now time.Time) error
	err  error
	done chan error // buffered (1): the writer never blocks on a caller
}

func newJob() any { return &job{done: make(chan error, 1)} }

// writer owns the single write connection and its prepared statements. Only
// the writer goroutine touches it after Open.
type writer struct {
	conn *sql.Conn
	ctx  context.Context // statements never carry a caller's context: see runJob

	begin, commit, rollback       *sql.Stmt
	savepoint, release, rollbackT *sql.Stmt

	insertExec, patchExec, fence *sql.Stmt
	upsertStep, inlineSteps      *sql.Stmt
	getDedupe, putDedupe         *sql.Stmt
	renew                        *sql.Stmt
}

func newWriter(ctx context.Context, conn *sql.Conn) (*writer, error) {
	w := &writer{conn: conn, ctx: context.Background()}
	for _, p := range []struct {
		dst   **sql.Stmt
		query string
	}{
		{&w.begin, "BEGIN IMMEDIATE"},
		{&w.commit, "COMMIT"},
		{&w.rollback, "ROLLBACK"},
		{&w.savepoint, "SAVEPOINT m"},
		{&w.release, "RELEASE m"},
		{&w.rollbackT, "ROLLBACK TO m"},
		{&w.insertExec, insertExecutionSQL},
		{&w.patchExec, patchExecutionSQL},
		{&w.fence, "SELECT lease_owner FROM executions WHERE id = ?"},
		{&w.upsertStep, upsertStepRunSQL},
		{&w.inlineSteps, inlineStepsSQL},
		{&w.getDedupe, "SELECT execution_id, expires_at FROM dedupe_keys WHERE scope = ? AND key = ?"},
		{&w.putDedupe, putDedupeSQL},
		{&w.renew, renewSQL},
	} {
		st, err := conn.PrepareContext(ctx, p.query)
		if err != nil {
			w.close()
			return nil, fmt.Errorf("preparing %q: %w", p.query, err)
		}
		*p.dst = st
	}
	return w, nil
}

func (w *writer) close() error {
	for _, st := range []*sql.Stmt{w.begin, w.commit, w.rollback, w.savepoint, w.release, w.rollbackT,
		w.insertExec, w.patchExec, w.fence, w.upsertStep, w.inlineSteps, w.getDedupe, w.putDedupe, w.renew} {
		if st != nil {
			st.Close()
		}
	}
	return w.conn.Close()
}

// do queues fn for the writer and waits for its commit. If ctx ends first,
// do returns ctx.Err(); the job may still commit if the writer had taken it.
func (s *Store) do(ctx context.Context, fn func(w *writer, now time.Time) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	j := s.jobPool.Get().(*job)
	j.ctx, j.fn, j.err = ctx, fn, nil

	s.mu.RLock()
	if s.closed {
		s.mu.RUnlock()
		j.ctx, j.fn = nil, nil
		s.jobPool.Put(j)
		return errClosed
	}
	select {
	case s.jobs <- j:
		s.mu.RUnlock()
	case <-ctx.Done():
		s.mu.RUnlock()
		j.ctx, j.fn = nil, nil
		s.jobPool.Put(j)
		return ctx.Err()
	}

	select {
	case err := <-j.done:
		j.ctx, j.fn = nil, nil
		s.jobPool.Put(j) // answered: nobody else holds j
		return err
	case <-ctx.Done():
		return ctx.Err() // j is dropped, not pooled: the writer may still answer it
	}
}

// heldWait bounds how long the writer holds a deferred job (doDeferred)
// for a transaction to share: while writes keep coming it never waits this
// long; when they stop, the job commits on its own.
const heldWait = 250 * time.Millisecond

// doDeferred is do for writes that need not commit now (the webhook
// delivery log): the writer holds fn until the next ordinary write and runs
// it in that write's transaction, in its own savepoint, so it costs no
// commit and no fsync of its own. Without other writes it commits alone
// after heldWait, or when the store closes.
func (s *Store) doDeferred(ctx context.Context, fn func(w *writer, now time.Time) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	j := &job{ctx: ctx, fn: fn, done: make(chan error, 1)}
	s.mu.RLock()
	if s.closed {
		s.mu.RUnlock()
		return errClosed
	}
	select {
	case s.deferred <- j:
		s.mu.RUnlock()
	case <-ctx.Done():
		s.mu.RUnlock()
		return ctx.Err()
	}
	select {
	case err := <-j.done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// runWriter is the group-commit loop: it takes every job already queued (up
// to MaxBatch), runs them in one transaction and commits once.
func (s *Store) runWriter() {
	defer close(s.writerDone)
	batch := make([]*job, 0, s.opts.MaxBatch)
	var held []*job // deferred jobs waiting for a transaction to share
	wait := time.NewTimer(heldWait)
	wait.Stop()
	for {
		var j *job
		ok := true
		if len(held) == 0 {
			select {
			case j, ok = <-s.jobs:
			case d := <-s.deferred:
				held = append(held, d)
				s.heldJobs.Add(1)
				wait.Reset(time.Duration(s.heldWait.Load()))
				continue
			}
		} else {
			select {
			case j, ok = <-s.jobs:
			case d := <-s.deferred:
				held = append(held, d)
				s.heldJobs.Add(1)
				continue
			case <-wait.C:
			}
		}
		if !ok {
			// Closing: every deferred send happened before the queue closed
			// (both under s.mu), so what is held or queued is all there is.
			held = s.takeDeferred(held)
			if len(held) > 0 {
				s.w.runBatch(held)
				answer(held)
			}
			return
		}
		wait.Stop()
		batch = append(batch[:0], s.takeDeferred(held)...)
		clear(held)
		held = held[:0]
		if j != nil {
			batch = append(batch, j)
		}
		// Let the goroutines that are ready to run queue their writes before
		// this batch closes. Without this, on one core the writer runs as soon
		// as the first job arrives (the scheduler favours the woken receiver)
		// and batches stay tiny; one yield costs microseconds.
		if len(s.jobs) < s.opts.MaxBatch {
			runtime.Gosched()
		}
	drain:
		for len(batch) < s.opts.MaxBatch {
			select {
			case j, ok := <-s.jobs:
				if !ok {
					break drain
				}
				batch = append(batch, j)
			default:
				break drain
			}
		}
		s.w.runBatch(batch)
		answer(batch)
		s.countFrames()
		if s.walFrames.Load() > maxWALFrames {
			s.walFrames.Store(0)
			_, _ = s.w.conn.ExecContext(s.w.ctx, "PRAGMA wal_checkpoint(PASSIVE)")
		}
	}
}

// takeDeferred appends the deferred jobs already queued to held.
func (s *Store) takeDeferred(held []*job) []*job {
	for {
		select {
		case d := <-s.deferred:
			held = append(held, d)
		default:
			return held
		}
	}
}

// answer hands each job of a run batch its outcome and clears the batch.
func answer(batch []*job) {
	for i, j := range batch {
		j.done <- j.err
		batch[i] = nil
	}
}

// runBatch runs the jobs in one transaction and sets each job's err.
func (w *writer) runBatch(batch []*job) {
	if _, err := w.begin.ExecContext(w.ctx); err != nil {
		err = fmt.Errorf("beginning write transaction: %w", err)
		for _, j := range batch {
			j.err = err
		}
		return
	}
	now := time.Now()
	if len(batch) == 1 {
		// A batch of one job needs no savepoint: the transaction is its
		// savepoint. Rolling it back on the job's error leaves exactly what
		// ROLLBACK TO would (nothing), and saves two statements per commit —
		// every commit, when callers come one at a time.
		j := batch[0]
		if j.err = j.ctx.Err(); j.err == nil {
			j.err = j.fn(w, now)
		}
		if j.err != nil {
			_, _ = w.rollback.ExecContext(w.ctx)
			return
		}
		w.commitBatch(batch)
		return
	}
	for i, j := range batch {
		if err := w.runJob(j, now); err != nil {
			// The transaction is unusable; none of this batch is committed.
			_, _ = w.rollback.ExecContext(w.ctx)
			err = fmt.Errorf("write transaction aborted: %w", err)
			for _, j := range batch[:i+1] {
				j.err = err
			}
			for _, j := range batch[i+1:] {
				j.err = err
			}
			return
		}
	}
	w.commitBatch(batch)
}

// commitBatch commits the open transaction; if that fails, every job of the
// batch fails with the reason.
func (w *writer) commitBatch(batch []*job) {
	if _, err := w.commit.ExecContext(w.ctx); err != nil {
		_, _ = w.rollback.ExecContext(w.ctx)
		err = fmt.Errorf("committing writes: %w", err)
		for _, j := range batch {
			j.err = err
		}
	}
}

// runJob runs one job in a savepoint and records its own error in j.err. It
// returns an error only when the savepoint machinery itself failed.
//
// Statements run with the writer's background context rather than the
// caller's: a caller giving up must not interrupt a statement halfway
// through a batch, and a nil Done channel spares the driver a watcher
// goroutine per statement. A job whose caller already left is skipped.
func (w *writer) runJob(j *job, now time.Time) error {
	if err := j.ctx.Err(); err != nil {
		j.err = err
		return nil
	}
	if _, err := w.savepoint.ExecContext(w.ctx); err != nil {
		return fmt.Errorf("savepoint: %w", err)
	}
	j.err = j.fn(w, now)
	if j.err != nil {
		if _, err := w.rollbackT.ExecContext(w.ctx); err != nil {
			return fmt.Errorf("rolling back to savepoint: %w", err)
		}
	}
	if _, err := w.release.ExecContext(w.ctx); err != nil {
		return fmt.Errorf("releasing savepoint: %w", err)
	}
	return nil
}
