package engine

import (
	"context"
	"errors"
	"time"

	"github.com/weftworks/weft"
)

// Run drives the background work of the engine until ctx is done: claiming
// executions that need a worker, renewing leases of running ones, and pruning
// old executions. On return, executions still running in this process have
// been stopped; their leases lapse and another process (or the next start)
// resumes them from the last recorded step.
func (e *Engine) Run(ctx context.Context) error {
	done := make(chan struct{})
	go func() { defer close(done); e.renewLoop(ctx) }()
	go e.pruneLoop(ctx) // executions (with Retention) and expired cache entries
	e.claimLoop(ctx)
	// Stop runners: they notice ctx via their own contexts. Idle runner
	// goroutines end, and nothing is launched after this (see launch).
	e.stopOnce.Do(func() { close(e.stopWorkers) })
	e.mu.Lock()
	e.stopped = true
	for _, h := range e.running {
		h.cancel(errShutdown)
	}
	e.mu.Unlock()
	e.wg.Wait()
	<-done
	return nil
}

func (e *Engine) claimLoop(ctx context.Context) {
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-timer.C:
		case <-e.kick:
		}
		next := e.claimOnce(ctx)
		if !timer.Stop() {
			select {
			case <-timer.C:
			default:
			}
		}
		timer.Reset(next)
	}
}

// claimOnce claims what it can and returns when to look again.
func (e *Engine) claimOnce(ctx context.Context) time.Duration {
	wait := e.cfg.PollInterval
	free := cap(e.slots) - len(e.slots)
	if free <= 0 {
		return wait
	}
	batch := min(free, 64)
	now := e.cfg.Now().UTC()
	claimed, err := e.store.Claim(ctx, e.cfg.Owner, now, e.cfg.Lease, batch, e.limits(ctx))
	if err != nil {
		if ctx.Err() == nil {
			e.log.Error("claiming executions", "err", err)
		}
		return wait
	}
	for _, ex := range claimed {
		select {
		case e.slots <- struct{}{}:
		case <-ctx.Done():
			return wait
		}
		cw, err := e.workflows.get(ctx, ex.Workflow, ex.WorkflowVersion)
		if err != nil {
			e.log.Error("loading workflow of claimed execution", "execution_id", ex.ID, "err", err)
			<-e.slots
			e.failUnloadable(ctx, ex, err)
			continue
		}
		if !e.launch(ex, cw, nil, nil) {
			<-e.slots // stopped: the claim's lease lapses for the next process
		}
	}
	if len(claimed) == batch {
		return 0 // more may be waiting
	}
	if next, err := e.store.NextWake(ctx); err == nil && !next.IsZero() {
		if d := next.Sub(e.cfg.Now()); d < wait {
			wait = max(d, time.Millisecond)
		}
	}
	return wait
}

// failUnloadable marks an execution whose workflow version cannot be loaded
// as failed, so it does not loop forever.
func (e *Engine) failUnloadable(ctx context.Context, ex weft.Execution, cause error) {
	now := e.cfg.Now().UTC()
	st := weft.ExecutionFailed
	_, err := e.store.Apply(ctx, storeMutation(e.cfg.Owner, ex.ID, &st, &weft.ErrorInfo{Code: "workflow_unavailable", Message: cause.Error()}, now))
	if err != nil && !errors.Is(err, weft.ErrLeaseLost) {
		e.log.Error("failing execution", "execution_id", ex.ID, "err", err)
	}
}

// limits returns the concurrency limits of workflows this process knows.
func (e *Engine) limits(ctx context.Context) map[string]int {
	e.workflows.mu.Lock()
	defer e.workflows.mu.Unlock()
	var out map[string]int
	for _, a := range e.workflows.active {
		if n := a.cw.c.Workflow.Concurrency; n > 0 {
			if out == nil {
				out = map[string]int{}
			}
			out[a.cw.rec.Name] = n
		}
	}
	for name, n := range e.workflows.concurrency {
		if out == nil {
			out = map[string]int{}
		}
		if _, ok := out[name]; !ok {
			out[name] = n
		}
	}
	return out
}

func (e *Engine) renewLoop(ctx context.Context) {
	t := time.NewTicker(max(e.cfg.Lease/5, 200*time.Millisecond))
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		e.mu.Lock()
		ids := make([]string, 0, len(e.running))
		held := make(map[string]*runHandle, len(e.running))
		for id, h := range e.running {
			if h.stored.Load() {
				ids = append(ids, id)
				held[id] = h
			}
		}
		e.mu.Unlock()
		if len(ids) == 0 {
			continue
		}
		lost, cancel, err := e.store.Renew(ctx, e.cfg.Owner, ids, e.cfg.Now().UTC().Add(e.cfg.Lease))
		if err != nil {
			if ctx.Err() == nil {
				e.log.Error("renewing leases", "err", err)
			}
			continue
		}
		e.renewed(held, lost, cancel)
	}
}

// renewed stops the runs whose lease renewal found the lease lost or a
// cancel requested. held are the runs the renewal was for: a verdict
// applies to that run only. A runner that parked its execution released
// the lease and is on its way out; if the execution was claimed again and
// a new run launched while the renewal was under way, the "lost" found
// for the parked run is not the new run's, and stopping it would fail a
// healthy execution.
func (e *Engine) renewed(held map[string]*runHandle, lost, cancel []string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, id := range lost {
		if h := e.running[id]; h != nil && h == held[id] {
			e.log.Warn("lost execution lease; stopping here", "execution_id", id)
			h.cancel(errLeaseLost)
		}
	}
	for _, id := range cancel {
		if h := e.running[id]; h != nil && h == held[id] {
			h.cancel(errCanceled)
		}
	}
}

func (e *Engine) pruneLoop(ctx context.Context) {
	t := time.NewTicker(time.Minute)
	defer t.Stop()
	for {
		before := e.cfg.Now().UTC().Add(-e.cfg.Retention)
		total := 0
		for e.cfg.Retention > 0 && ctx.Err() == nil {
			n, err := e.store.Prune(ctx, before, 500)
			if err != nil {
				if ctx.Err() == nil {
					e.log.Error("pruning executions", "err", err)
				}
				break
			}
			total += n
			if n == 0 {
				break
			}
		}
		if total > 0 {
			e.log.Info("pruned finished executions", "count", total, "before", before)
		}
		e.cache.prune(ctx, e.cfg.Now(), e.log)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
