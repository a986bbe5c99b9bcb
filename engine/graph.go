package engine

// Graph scheduling: which steps can start, their `if`, skips and for_each
// items, the order tasks launch in, and when the next waiting one is due.

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/expr"
	"github.com/weftworks/weft/workflow"
)

// schedule starts every step that can start. Pure steps run inline, so a
// chain of them completes within one call.
func (r *runner) schedule(ctx context.Context) error {
	for progress := true; progress; {
		progress = false
		for _, n := range r.cw.c.Nodes {
			if r.failure != nil {
				return nil
			}
			w := r.whole(n.Step.ID)
			if w == nil {
				started, err := r.begin(ctx, n)
				if err != nil {
					return err
				}
				if !started {
					continue
				}
				progress = true
				w = r.whole(n.Step.ID)
			}
			if w.Status.Finished() {
				continue
			}
			n2, err := r.launchReady(ctx, n)
			if err != nil {
				return err
			}
			if n2 > 0 {
				progress = true
			}
		}
	}
	return nil
}

// begin creates the step run of a node whose dependencies are finished,
// deciding skip, `if` and for_each. It reports whether anything changed.
func (r *runner) begin(ctx context.Context, n *workflow.Node) (bool, error) {
	allSkipped := len(n.Needs) > 0
	for _, dep := range n.Needs {
		dw := r.whole(dep.Step.ID)
		if dw == nil || !dw.Status.Finished() {
			return false, nil
		}
		if dw.Status != weft.StepSkipped {
			allSkipped = false
		}
	}
	now := r.e.cfg.Now().UTC()
	w := &weft.StepRun{ExecutionID: r.ex.ID, StepID: n.Step.ID, Item: weft.WholeStep, Type: n.Step.Uses, Status: weft.StepPending}
	k := runKey{n.Step.ID, weft.WholeStep}
	r.runs[k] = w
	if allSkipped {
		r.skip(n, w, now)
		return true, nil
	}
	if n.If != nil {
		v, err := n.If.Eval(ctx, r.base)
		if err != nil && ctx.Err() != nil {
			delete(r.runs, k) // stopping: begin again after the resume
			return false, nil
		}
		if err != nil {
			r.failStep(n, w, &weft.ErrorInfo{Code: "expression", Message: fmt.Sprintf("evaluating if of step %q: %v", n.Step.ID, err)}, now)
			return true, nil
		}
		if !truthy(v) {
			r.skip(n, w, now)
			return true, nil
		}
	}
	if n.ForEach == nil {
		return true, nil
	}
	v, err := n.ForEach.Eval(ctx, r.base)
	if err != nil && ctx.Err() != nil {
		delete(r.runs, k)
		return false, nil
	}
	if err != nil {
		r.failStep(n, w, &weft.ErrorInfo{Code: "expression", Message: fmt.Sprintf("evaluating for_each of step %q: %v", n.Step.ID, err)}, now)
		return true, nil
	}
	list, ok := asList(v)
	if !ok {
		r.failStep(n, w, &weft.ErrorInfo{Code: "expression", Message: fmt.Sprintf("for_each of step %q must give a list, got %T", n.Step.ID, v)}, now)
		return true, nil
	}
	if limit := r.e.cfg.MaxForEachItems; len(list) > limit {
		r.failStep(n, w, &weft.ErrorInfo{Code: "for_each_limit", Message: fmt.Sprintf(
			"for_each of step %q gives %d items, more than the limit of %d per step; split the list (e.g. a workflow.call per batch) "+
				"or raise the limit with --max-for-each-items (WEFT_MAX_FOR_EACH_ITEMS)", n.Step.ID, len(list), limit)}, now)
		return true, nil
	}
	r.forEachMaps()
	r.itemValues[n.Step.ID] = list
	r.open[n.Step.ID] = 0
	in, err := json.Marshal(list)
	if err != nil {
		return false, fmt.Errorf("encoding for_each items of %q: %w", n.Step.ID, err)
	}
	started := now // not &now: that would move now to the heap for every step
	w.Status = weft.StepRunning
	w.Input = in
	w.StartedAt = &started
	r.markDirty(k)
	items := make([]*weft.StepRun, len(list))
	for i := range list {
		// Items that succeeded before a retry keep their results.
		if old := r.runs[runKey{n.Step.ID, i}]; old != nil && old.Status == weft.StepSucceeded {
			items[i] = old
			continue
		}
		it := &weft.StepRun{ExecutionID: r.ex.ID, StepID: n.Step.ID, Item: i, Type: n.Step.Uses, Status: weft.StepPending}
		items[i] = it
		r.runs[runKey{n.Step.ID, i}] = it
	}
	r.items[n.Step.ID] = items
	if len(list) > 0 {
		r.completeForEach(n, now) // all items may have survived a retry
	} else {
		w.Status = weft.StepSucceeded
		w.Output = json.RawMessage("[]")
		w.FinishedAt = &started
		r.setScope(n.Step.ID, w, []any{})
		r.publishStep(w)
	}
	return true, nil
}

func (r *runner) skip(n *workflow.Node, w *weft.StepRun, now time.Time) {
	w.Status = weft.StepSkipped
	w.StartedAt, w.FinishedAt = &now, &now
	r.setScope(n.Step.ID, w, nil)
	r.markDirty(runKey{n.Step.ID, weft.WholeStep})
	r.publishStep(w)
}

func (r *runner) failStep(n *workflow.Node, w *weft.StepRun, info *weft.ErrorInfo, now time.Time) {
	info.Message = r.redactString(info.Message)
	w.Status = weft.StepFailed
	w.Error = info
	if w.StartedAt == nil {
		w.StartedAt = &now
	}
	w.FinishedAt = &now
	r.setScope(n.Step.ID, w, nil)
	r.markDirty(runKey{n.Step.ID, weft.WholeStep})
	r.publishStep(w)
	if !n.Step.ContinueOnError && r.failure == nil {
		r.failure = &weft.ErrorInfo{Code: info.Code, Message: fmt.Sprintf("step %q failed: %s", n.Step.ID, info.Message)}
	}
}

// tasks returns the runs that carry attempts for a node: its items, or itself.
func (r *runner) tasks(n *workflow.Node) []*weft.StepRun {
	if n.ForEach != nil {
		return r.items[n.Step.ID]
	}
	return []*weft.StepRun{r.whole(n.Step.ID)}
}

// launchReady starts the node's tasks that are due, within its for_each bound.
func (r *runner) launchReady(ctx context.Context, n *workflow.Node) (int, error) {
	bound := 1 << 30
	if n.ForEach != nil {
		bound = n.Step.Concurrency
		if bound <= 0 {
			bound = 4
		}
	}
	now := r.e.cfg.Now()
	launched := 0
	var one [1]*weft.StepRun
	for _, t := range r.openTasks(n, one[:0]) {
		if ctx.Err() != nil {
			// Shutting down or canceled: run() stops at once rather than
			// after the rest of a long for_each of inline steps.
			return launched, nil
		}
		if t == nil || t.Status.Finished() || r.inflight[runKey{t.StepID, t.Item}] {
			continue
		}
		if r.inflightPer[n.Step.ID] >= bound {
			break
		}
		if t.WakeAt != nil && t.WakeAt.After(now) {
			continue
		}
		if err := r.launch(ctx, n, t); err != nil {
			return launched, err
		}
		launched++
		if r.failure != nil {
			break
		}
	}
	return launched, nil
}

func (r *runner) scopeFor(t *weft.StepRun) expr.Scope {
	if t.Item == weft.WholeStep {
		return r.base
	}
	s := make(expr.Scope, len(r.base)+2)
	for k, v := range r.base {
		s[k] = v
	}
	items := r.itemValues[t.StepID]
	if t.Item < len(items) {
		s["item"] = items[t.Item]
	}
	s["index"] = t.Item
	return s
}

func (r *runner) earliestWake() (time.Time, bool) {
	var best time.Time
	found := false
	for _, n := range r.cw.c.Nodes {
		w := r.whole(n.Step.ID)
		if w == nil || w.Status.Finished() {
			continue
		}
		var one [1]*weft.StepRun
		for _, t := range r.openTasks(n, one[:0]) {
			if t != nil && t.Status == weft.StepPending {
				break // items start in order: none after a pending one has
			}
			if t == nil || t.Status != weft.StepWaiting || t.WakeAt == nil || r.inflight[runKey{t.StepID, t.Item}] {
				continue
			}
			if !found || t.WakeAt.Before(best) {
				best, found = *t.WakeAt, true
			}
		}
	}
	return best, found
}

func truthy(v any) bool {
	switch x := v.(type) {
	case nil:
		return false
	case bool:
		return x
	case string:
		return x != "" && x != "false" && x != "0"
	case float64:
		return x != 0
	case int:
		return x != 0
	case int64:
		return x != 0
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Slice, reflect.Map:
		return rv.Len() > 0
	}
	return true
}

func asList(v any) ([]any, bool) {
	switch x := v.(type) {
	case []any:
		return x, true
	case nil:
		return nil, false
	}
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Slice && rv.Kind() != reflect.Array {
		return nil, false
	}
	out := make([]any, rv.Len())
	for i := range out {
		out[i] = rv.Index(i).Interface()
	}
	return out, true
}
