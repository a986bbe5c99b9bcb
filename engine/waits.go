package engine

// Waiting for events: the resume URLs expressions see, deferred fields a
// step evaluates itself, and in-process wake-ups after an event.

import (
	"context"
	"fmt"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/expr"
	"github.com/weftworks/weft/workflow"
)

// executionScope is `execution` in expressions. With an event service it
// holds resume_urls (one per Resumable step) and resume_url: the first wait
// with `resume: true`, else the first Resumable step.
func (r *runner) executionScope() map[string]any {
	m := map[string]any{"id": r.ex.ID, "trigger": r.ex.Trigger}
	ev := r.e.cfg.Events
	if ev == nil {
		return m
	}
	urls := map[string]any{}
	first, preferred := "", ""
	for _, n := range r.cw.c.Nodes {
		if !n.Spec.Resumable {
			continue
		}
		u := ev.ResumeURL(r.ex.ID, n.Step.ID)
		urls[n.Step.ID] = u
		if resume, _ := n.Step.With["resume"].(bool); resume && preferred == "" {
			preferred = u
		}
		if first == "" {
			first = u
		}
	}
	if preferred != "" {
		first = preferred
	}
	if first != "" {
		m["resume_url"], m["resume_urls"] = first, urls
	}
	return m
}

// deferredEval returns the Request.Eval of an attempt: it evaluates the
// node's Deferred fields against a snapshot of the attempt's scope (the
// handler runs in its own goroutine while the runner changes r.steps).
func (r *runner) deferredEval(n *workflow.Node, t *weft.StepRun) func(context.Context, string, map[string]any) (any, bool, error) {
	if len(n.Deferred) == 0 {
		return func(context.Context, string, map[string]any) (any, bool, error) { return nil, false, nil }
	}
	base := r.scopeFor(t)
	snap := make(expr.Scope, len(base)+2)
	for k, v := range base {
		snap[k] = v
	}
	steps := make(map[string]any, len(r.steps))
	for k, v := range r.steps {
		steps[k] = v
	}
	snap["steps"] = steps
	return func(ctx context.Context, field string, vars map[string]any) (any, bool, error) {
		v, ok := n.Deferred[field]
		if !ok {
			return nil, false, nil
		}
		s := make(expr.Scope, len(snap)+len(vars))
		for k, x := range snap {
			s[k] = x
		}
		for k, x := range vars {
			s[k] = x
		}
		out, err := v.Eval(ctx, s)
		if err != nil {
			return nil, true, fmt.Errorf("evaluating %s of step %q: %w", field, n.Step.ID, err)
		}
		return out, true, nil
	}
}

// WakeLocal wakes the given executions where they run in this process, so
// a step waiting for an event looks again at once. Executions parked or
// running elsewhere were made due in the store by whoever published the
// event; this process's scheduler is kicked to claim them.
func (e *Engine) WakeLocal(ids []string) {
	if len(ids) == 0 {
		return
	}
	e.mu.Lock()
	for _, id := range ids {
		if h := e.running[id]; h != nil {
			select {
			case h.wake <- struct{}{}:
			default:
			}
		}
	}
	e.mu.Unlock()
	e.Kick()
}

// wantsPark reports whether a waiting attempt asked to park
// (step.Suspend.Park), so the execution frees its worker at once.
func (r *runner) wantsPark() bool {
	for k := range r.park {
		if t := r.runs[k]; t != nil && t.Status == weft.StepWaiting && !r.inflight[k] {
			return true
		}
	}
	return false
}
