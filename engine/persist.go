package engine

// Persistence: what changed since the last durable write, and the write that
// records it (and, for an execution started here, creates it).

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/store"
)

// markDirty queues a run for the next durable write. The set keeps it O(1):
// a for_each marks every item.
func (r *runner) markDirty(k runKey) {
	switch {
	case r.dirtySet != nil:
		if _, ok := r.dirtySet[k]; ok {
			return
		}
		r.dirtySet[k] = struct{}{}
	case slices.Contains(r.dirty, k):
		return
	case len(r.dirty) == dirtyScan:
		r.dirtySet = make(map[runKey]struct{}, 2*dirtyScan)
		for _, d := range r.dirty {
			r.dirtySet[d] = struct{}{}
		}
		r.dirtySet[k] = struct{}{}
	}
	r.dirty = append(r.dirty, k)
}

// dirtyScan is how many dirty keys markDirty scans before it keeps a set.
const dirtyScan = 8

// dirtyRuns returns copies of the changed step runs and clears the list.
func (r *runner) dirtyRuns() []weft.StepRun {
	if len(r.dirty) == 0 {
		return nil
	}
	out := make([]weft.StepRun, 0, len(r.dirty))
	for _, k := range r.dirty {
		out = append(out, *r.runs[k])
	}
	r.dirty = r.dirty[:0]
	clear(r.dirtySet)
	return out
}

// created reports the outcome of the creating write to Start.
func (r *runner) created(res store.Result, err error) {
	if err == nil && r.rh != nil {
		r.rh.stored.Store(true)
	}
	r.create.done <- createResult{res: res, err: err}
	r.create = nil
}

// flush writes the changed step runs (and an optional patch) durably. The
// first flush of an execution started in this process also creates it.
func (r *runner) flush(ctx context.Context, patch *store.ExecutionPatch) error {
	runs := r.dirtyRuns()
	if len(runs) == 0 && patch == nil && r.create == nil {
		return nil
	}
	m := store.Mutation{Owner: r.e.cfg.Owner, ExecutionID: r.ex.ID, StepRuns: runs, Patch: patch}
	if r.create != nil {
		ex := r.ex
		ex.Status = weft.ExecutionRunning
		if patch != nil {
			// Insert the row as the patch leaves it: one write, not two.
			patchExecution(&ex, patch)
			m.Patch = nil
		}
		m.Create, m.Dedupe = &ex, r.create.dedupe
	}
	res, err := r.e.store.Apply(ctx, m)
	if r.create != nil {
		r.created(res, err)
		if err != nil {
			// Not stored, and Start answers the caller with the error: this
			// execution does not exist. Stop without any other write.
			return fmt.Errorf("%w: %w", errNotStored, err)
		}
	}
	if err != nil {
		// Keep them dirty so a final write can still carry them.
		for _, run := range runs {
			r.markDirty(runKey{run.StepID, run.Item})
		}
		return fmt.Errorf("recording step runs: %w", err)
	}
	return nil
}

// patchExecution applies a patch to an execution not yet stored, with the
// same meaning the stores give it.
func patchExecution(ex *weft.Execution, p *store.ExecutionPatch) {
	if p.Status != nil {
		ex.Status = *p.Status
	}
	if p.Output != nil {
		ex.Output = p.Output
	}
	if p.ClearError {
		ex.Error = nil
	}
	if p.Error != nil {
		ex.Error = p.Error
	}
	if p.Response != nil {
		ex.Response = p.Response
	}
	if p.StartedAt != nil {
		ex.StartedAt = p.StartedAt
	}
	if p.FinishedAt != nil {
		ex.FinishedAt = p.FinishedAt
	}
	if p.ClearWake {
		ex.WakeAt = nil
	}
	if p.WakeAt != nil {
		ex.WakeAt = p.WakeAt
	}
	if p.ReleaseLease {
		ex.LeaseOwner, ex.LeaseUntil = "", nil
	}
	if p.LeaseOwner != "" {
		ex.LeaseOwner, ex.LeaseUntil = p.LeaseOwner, p.LeaseUntil
	}
}

// writeCtx is used for the final writes of a stopping execution, whose own
// context is already done.
func writeCtx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), 30*time.Second)
}
