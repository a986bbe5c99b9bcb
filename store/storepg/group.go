package storepg

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/weftworks/weft/store"
)

// applyJob is one Apply waiting for a group commit.
type applyJob struct {
	ctx  context.Context
	m    *store.Mutation
	id   string
	now  time.Time
	res  store.Result
	err  error
	done chan struct{} // closed once res and err are final
}

// grouper gathers concurrent Applies into shared transactions. There is no
// goroutine of its own: a caller that finds a commit slot free takes every
// queued job (its own among them, or not) and commits them together, so
// the callers that arrive while MaxWriters groups are in flight form the
// next group. Under no concurrency a group is one job, written as before.
type grouper struct {
	queue    chan *applyJob
	slots    chan struct{}
	maxBatch int

	// Counters for tests and the benchmark notes: groups of two or more
	// jobs committed together, and groups that failed and were rerun one
	// job at a time.
	groups, reruns atomic.Int64
}

func newGrouper(o Options) *grouper {
	return &grouper{
		queue:    make(chan *applyJob, o.MaxBatch*o.MaxWriters),
		slots:    make(chan struct{}, o.MaxWriters),
		maxBatch: o.MaxBatch,
	}
}

// apply queues j and waits until it is written, running groups (its own or
// others') whenever a slot is free. If ctx ends first it returns ctx.Err();
// the job may still be written if a group had taken it.
func (s *Store) apply(ctx context.Context, j *applyJob) error {
	g := s.group
	// A full queue may hold only jobs whose callers left (their contexts
	// ended while every slot was busy): nobody else would take them, so a
	// caller that cannot queue runs a group itself whenever a slot is free.
	for queued := false; !queued; {
		select {
		case g.queue <- j:
			queued = true
		case <-ctx.Done():
			return ctx.Err()
		case g.slots <- struct{}{}:
			s.runQueued(ctx)
			<-g.slots
		}
	}
	for {
		select {
		case <-j.done:
			return j.err
		case <-ctx.Done():
			return ctx.Err()
		case g.slots <- struct{}{}:
		}
		n := s.runQueued(ctx)
		<-g.slots
		if n == 0 {
			// The queue was empty, so another caller has taken j.
			select {
			case <-j.done:
				return j.err
			case <-ctx.Done():
				return ctx.Err()
			}
		}
	}
}

// runQueued takes up to MaxBatch queued jobs, writes them and answers them.
// It returns how many it took.
func (s *Store) runQueued(ctx context.Context) int {
	g := s.group
	jobs := make([]*applyJob, 0, 8)
drain:
	for len(jobs) < g.maxBatch {
		select {
		case j := <-g.queue:
			jobs = append(jobs, j)
		default:
			break drain
		}
	}
	if len(jobs) > 0 {
		s.runGroup(ctx, jobs)
		for _, j := range jobs {
			close(j.done)
		}
	}
	return len(jobs)
}

// runGroup writes jobs in one transaction, sent as one pipelined batch:
// one round trip and one commit for all of them. If the server refuses any
// statement (a lost lease, a held dedupe key, a clashing id, a deadlock
// with another group), the transaction rolls back whole and each job is
// run again on its own, so a failing job fails alone and the others are
// written. Jobs whose caller has already left are skipped.
func (s *Store) runGroup(ctx context.Context, jobs []*applyJob) {
	live := make([]*applyJob, 0, len(jobs))
	for _, j := range jobs {
		if j.err = j.ctx.Err(); j.err == nil {
			live = append(live, j)
		}
	}
	switch len(live) {
	case 0:
		return
	case 1:
		j := live[0]
		j.err = s.applyBatch(j.ctx, j.m, j.id, &j.res, j.now)
		return
	}
	ctx, stop := groupContext(ctx, live)
	defer stop()
	b := &pgx.Batch{}
	var steps []check
	ends := make([]int, len(live)) // ends[i]: one past live[i]'s last step
	for i, j := range live {
		steps = queueMutation(b, steps, j.m, j.id, j.now)
		ends[i] = len(steps)
	}
	br := s.pool.SendBatch(ctx, b)
	var failed error // the first statement the batch did not run cleanly
	k := 0
	for i, j := range live {
		for ; k < ends[i]; k++ {
			tag, err := br.Exec()
			if err != nil && failed == nil {
				failed = err
			}
			// A patch that matched no row fails its job without failing
			// the statement: the job wrote nothing (see applyBatch), and
			// the others commit.
			if cerr := steps[k](tag, err); cerr != nil && j.err == nil {
				j.err = cerr
			}
		}
	}
	closeErr := br.Close()
	if failed == nil {
		failed = closeErr
	}
	if failed == nil {
		s.group.groups.Add(1)
		return
	}
	if !refusedWhole(failed) {
		// The connection broke or the outcome is unknown: the batch may
		// have committed, so running its jobs again could write them twice.
		for _, j := range live {
			j.err = fmt.Errorf("committing a group of %d writes: %w", len(live), failed)
		}
		return
	}
	s.group.reruns.Add(1)
	for _, j := range live {
		j.res = store.Result{}
		j.err = s.applyBatch(ctx, j.m, j.id, &j.res, j.now)
	}
}

// groupContext returns the context a group runs in: it keeps the values of
// ctx (the caller running the group) and ends only when every job's caller
// has left, since a group outlives any one of them.
func groupContext(ctx context.Context, jobs []*applyJob) (context.Context, func()) {
	ctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	var left atomic.Int64
	stops := make([]func() bool, len(jobs))
	for i, j := range jobs {
		stops[i] = context.AfterFunc(j.ctx, func() {
			if left.Add(1) == int64(len(jobs)) {
				cancel()
			}
		})
	}
	return ctx, func() {
		for _, stop := range stops {
			stop()
		}
		cancel()
	}
}

// refusedWhole reports whether err proves that nothing of a batch was
// committed: the server refused a statement (which aborts the implicit
// transaction up to the batch's single Sync), or the batch failed before
// anything was sent.
func refusedWhole(err error) bool {
	var pe *pgconn.PgError
	var pre pgx.ErrPreprocessingBatch
	return errors.As(err, &pe) || errors.As(err, &pre) || pgconn.SafeToRetry(err)
}
