package engine

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/step"
	"github.com/weftworks/weft/store"
)

// wakeParent wakes the execution that waits for child (a workflow.call):
// durably, so a parent parked in any process is claimed again now, and in
// memory when the parent runs here, so its waiting call step looks again
// without parking first.
func (e *Engine) wakeParent(ctx context.Context, child weft.Execution) {
	now := e.cfg.Now().UTC()
	if _, err := e.store.Apply(ctx, store.Mutation{ExecutionID: child.ParentID, Patch: &store.ExecutionPatch{WakeAt: &now}}); err != nil {
		e.log.Error("waking parent execution", "execution_id", child.ID, "parent_id", child.ParentID, "err", err)
	}
	e.mu.Lock()
	h := e.running[child.ParentID]
	e.mu.Unlock()
	if h != nil {
		select {
		case h.wake <- struct{}{}:
		default:
		}
	}
	e.Kick()
}

// checkCallDepth refuses a child of parentID when it would sit deeper than
// MaxCallDepth below its top-level execution. It reads at most
// MaxCallDepth+1 ancestors.
func (e *Engine) checkCallDepth(ctx context.Context, name, parentID string) error {
	limit := e.cfg.MaxCallDepth
	var chain []string // parent first
	for id := parentID; id != "" && len(chain) <= limit; {
		ex, err := e.store.GetExecution(ctx, id)
		if errors.Is(err, weft.ErrNotFound) && len(chain) > 0 {
			break // an ancestor already pruned: the chain ends there
		}
		if err != nil {
			return fmt.Errorf("reading ancestor execution %s: %w", id, err)
		}
		chain = append(chain, ex.Workflow)
		id = ex.ParentID
	}
	// The child sits one below its parent: at depth len(chain), a top-level
	// execution being at depth 0.
	if len(chain) <= limit {
		return nil
	}
	return errCallDepth(limit, name, chain)
}

// errCallDepth is the step error of a refused workflow.call; it names the
// chain (root first, shortened in the middle) and the flag that raises the
// limit.
func errCallDepth(limit int, name string, chain []string) error {
	names := make([]string, 0, len(chain)+1)
	for i := len(chain) - 1; i >= 0; i-- {
		names = append(names, chain[i])
	}
	names = append(names, name)
	if len(names) > 8 {
		names = append(append(names[:3:3], "…"), names[len(names)-4:]...)
	}
	return step.Errorf("call_depth", "workflow.call: nested call depth limit %d reached (chain %s); "+
		"a workflow that calls itself needs an end condition (`if:` on the call step), or raise the limit with "+
		"--max-call-depth (WEFT_MAX_CALL_DEPTH)", limit, strings.Join(names, " → "))
}

// wakeWaiting makes the waiting attempts of RunOnWake steps (workflow.call)
// due now: the execution was woken, perhaps by the end of the child one of
// them waits for. A step waiting out a retry backoff keeps it: a wake-up
// says nothing about the error it retries (its wait still parks the
// execution, waitsForWake, so it holds no worker meanwhile).
func (r *runner) wakeWaiting() {
	if !r.hasOnWake() {
		return
	}
	now := r.e.cfg.Now().UTC()
	for k, t := range r.runs {
		if t.Status != weft.StepWaiting || r.inflight[k] || !r.runsOnWake(t.StepID) || inBackoff(t) {
			continue
		}
		if t.WakeAt == nil || t.WakeAt.After(now) {
			t.WakeAt = &now
		}
	}
}

// inBackoff reports whether a waiting step run waits out a retry backoff
// (its last attempt failed and will be tried again) rather than for a wake.
func inBackoff(t *weft.StepRun) bool {
	n := len(t.History)
	return n > 0 && t.History[n-1].Outcome == "retry"
}

// waitsForWake reports whether an attempt waits on a RunOnWake step; such an
// execution parks at once instead of sleeping in place.
func (r *runner) waitsForWake() bool {
	if !r.hasOnWake() {
		return false
	}
	for k, t := range r.runs {
		if t.Status == weft.StepWaiting && !r.inflight[k] && r.runsOnWake(t.StepID) {
			return true
		}
	}
	return false
}

func (r *runner) runsOnWake(stepID string) bool {
	n := r.cw.c.ByID[stepID]
	if n == nil {
		return false
	}
	reg, ok := r.e.cfg.Registry.Lookup(n.Step.Uses)
	return ok && reg.Spec.RunOnWake
}

// hasOnWake reports whether the workflow has a RunOnWake step at all, so
// the scans above cost nothing for the others.
func (r *runner) hasOnWake() bool {
	for _, n := range r.cw.c.Nodes {
		if r.runsOnWake(n.Step.ID) {
			return true
		}
	}
	return false
}
