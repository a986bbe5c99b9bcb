package engine

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/workflow"
)

// openTasks returns the node's tasks from the first one not yet finished:
// for a for_each, the items from the open cursor on, which it first moves
// past the items that finished since. Finished items never run again in
// this runner, so the cursor only moves forward and all scans together cost
// O(items). A step without for_each appends its one run to buf (a caller's
// array on its stack: no slice is allocated per call).
func (r *runner) openTasks(n *workflow.Node, buf []*weft.StepRun) []*weft.StepRun {
	if n.ForEach == nil {
		return append(buf, r.whole(n.Step.ID))
	}
	r.forEachMaps()
	items := r.items[n.Step.ID]
	i := r.open[n.Step.ID]
	for i < len(items) && items[i] != nil && items[i].Status.Finished() {
		i++
	}
	r.open[n.Step.ID] = i
	return items[i:]
}

// loadItems rebuilds the item runs of each for_each that a resumed
// execution had begun and not finished: the recorded ones, and a pending run
// for every item that had not started (those were never written).
func (r *runner) loadItems() error {
	for _, n := range r.cw.c.Nodes {
		w := r.whole(n.Step.ID)
		if n.ForEach == nil || w == nil || w.Status.Finished() {
			continue
		}
		var list []any
		if len(w.Input) > 0 {
			if err := json.Unmarshal(w.Input, &list); err != nil {
				return fmt.Errorf("decoding for_each items of step %q: %w", n.Step.ID, err)
			}
		}
		items := make([]*weft.StepRun, len(list))
		for i := range items {
			k := runKey{n.Step.ID, i}
			if t := r.runs[k]; t != nil {
				items[i] = t
				continue
			}
			t := &weft.StepRun{ExecutionID: r.ex.ID, StepID: n.Step.ID, Item: i, Type: n.Step.Uses, Status: weft.StepPending}
			r.runs[k] = t
			items[i] = t
		}
		r.forEachMaps()
		r.items[n.Step.ID] = items
		r.itemValues[n.Step.ID] = list
		r.open[n.Step.ID] = 0
	}
	return nil
}

// completeForEach finishes a for_each step once none of its items can run.
func (r *runner) completeForEach(n *workflow.Node, now time.Time) {
	if len(r.openTasks(n, nil)) > 0 {
		return
	}
	items := r.items[n.Step.ID]
	outs := make([]any, len(items))
	var failed *weft.StepRun
	for i, it := range items {
		if it.Status == weft.StepFailed && failed == nil {
			failed = it
		}
		if len(it.Output) > 0 {
			_ = json.Unmarshal(it.Output, &outs[i])
		}
	}
	w := r.whole(n.Step.ID)
	if failed != nil {
		r.failStep(n, w, &weft.ErrorInfo{Code: failed.Error.Code, Message: fmt.Sprintf("item %d: %s", failed.Item, failed.Error.Message)}, now)
		return
	}
	out, _ := json.Marshal(outs)
	w.Status, w.Output, w.FinishedAt = weft.StepSucceeded, out, &now
	r.setScope(n.Step.ID, w, outs)
	r.markDirty(runKey{n.Step.ID, weft.WholeStep})
	r.publishStep(w)
}
