package engine

// Waiting for events: the resume URLs expressions see, deferred fields a
// step evaluates itself, and in-process wake-ups after an event.

import (
	"context"
	"fmt"
	"maps"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/expr"
	"github.com/weftworks/weft/workflow"
)

// executionScope is `execution` in expressions. With an event service it
// holds resume_urls (one per Resumable step; a list, one per item, for a
// for_each step) and resume_url: the first wait with `resume: true`, else
// the first Resumable step, for_each steps aside.
func (r *runner) executionScope() map[string]any {
	m := map[string]any{"id": r.ex.ID, "trigger": triggerValue(r.ex.Trigger)}
	ev := r.e.cfg.Events
	if ev == nil {
		return m
	}
	var urls map[string]any // made for the first Resumable step: most workflows have none
	first, preferred := "", ""
	for _, n := range r.cw.c.Nodes {
		if !n.Spec.Resumable {
			continue
		}
		if urls == nil {
			urls = map[string]any{}
		}
		if n.ForEach != nil {
			// Filled in once the item count is known (refreshResumeItems).
			urls[n.Step.ID] = []any{}
			r.resumeEach = append(r.resumeEach, n)
			continue
		}
		u := ev.ResumeURL(r.ex.ID, n.Step.ID, weft.WholeStep)
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
		m["resume_url"] = first
	}
	if len(urls) > 0 {
		m["resume_urls"] = urls
	}
	return m
}

// triggerValue is trigger as an any: the known triggers are constants,
// which convert without an allocation (see statusValue).
func triggerValue(trigger string) any {
	switch trigger {
	case weft.TriggerWebhook:
		return weft.TriggerWebhook
	case weft.TriggerManual:
		return weft.TriggerManual
	case weft.TriggerSchedule:
		return weft.TriggerSchedule
	case weft.TriggerWorkflow:
		return weft.TriggerWorkflow
	case weft.TriggerError:
		return weft.TriggerError
	}
	return trigger
}

// refreshResumeItems fills execution.resume_urls.<step> of each Resumable
// for_each step with one URL per item, before an attempt's inputs are
// evaluated: a step before it hands the URLs out, so the count comes from
// the step's items once it started, else from its for_each evaluated now
// (an expression that cannot be evaluated yet leaves the list as it was).
// The execution map is replaced, never changed, since running handlers
// hold snapshots of the scope.
func (r *runner) refreshResumeItems(ctx context.Context) {
	if len(r.resumeEach) == 0 {
		return
	}
	var changed map[string]int
	for _, n := range r.resumeEach {
		count := -1
		if items, ok := r.items[n.Step.ID]; ok {
			count = len(items)
		} else if v, err := n.ForEach.Eval(ctx, r.base); err == nil {
			if list, ok := asList(v); ok {
				count = len(list)
			}
		}
		if limit := r.e.cfg.MaxForEachItems; count > limit {
			count = limit // the step will fail with for_each_limit
		}
		if prev, ok := r.resumeCount[n.Step.ID]; count < 0 || (ok && prev == count) {
			continue
		}
		if changed == nil {
			changed = map[string]int{}
		}
		changed[n.Step.ID] = count
	}
	if changed == nil {
		return
	}
	if r.resumeCount == nil {
		r.resumeCount = map[string]int{}
	}
	old, _ := r.base["execution"].(map[string]any)
	m := maps.Clone(old)
	urls := maps.Clone(old["resume_urls"].(map[string]any))
	for id, count := range changed {
		list := make([]any, count)
		for i := range list {
			list[i] = r.e.cfg.Events.ResumeURL(r.ex.ID, id, i)
		}
		urls[id] = list
		r.resumeCount[id] = count
	}
	m["resume_urls"] = urls
	r.base["execution"] = m
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
