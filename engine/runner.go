package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/expr"
	"github.com/weftworks/weft/step"
	"github.com/weftworks/weft/store"
	"github.com/weftworks/weft/workflow"
)

var errWorkflowTimeout = errors.New("workflow timed out")

type runKey struct {
	step string
	item int
}

// taskResult is one finished attempt of a step (or for_each item).
type taskResult struct {
	key      runKey
	res      step.Result
	err      error
	duration time.Duration
	cacheKey string // set when the step has `cache:` and the result may fill it
	cached   bool   // the result came from the cache
}

// runner executes one execution in this process. All its fields are owned by
// the goroutine in run; step handlers run in their own goroutines and report
// back on results.
type runner struct {
	e  *Engine
	ex weft.Execution
	cw *compiledWorkflow

	trigger any
	base    expr.Scope
	steps   map[string]any // steps.<id> → {output, status, error}
	runs    map[runKey]*weft.StepRun
	items   map[string][]*weft.StepRun // for_each item runs by step id
	dirty   []runKey                   // changed since the last durable write
	// dirtySet holds the keys in dirty.
	dirtySet map[runKey]struct{}
	// itemValues are the decoded for_each lists by step id (the `item` of
	// each item run), decoded once rather than per item.
	itemValues map[string][]any
	// open is, by for_each step id, the index of the first item not yet
	// finished: items finish for good within a runner, so scans start there
	// and the whole loop stays linear in the number of items.
	open map[string]int

	fresh        bool           // created by Start in this process: no step runs exist yet
	create       *pendingCreate // not yet written: the first flush creates it
	rh           *runHandle     // this execution's entry in Engine.running
	inflight     map[runKey]bool
	inflightPer  map[string]int
	results      chan taskResult
	failure      *weft.ErrorInfo // the execution is failing
	response     json.RawMessage // from a respond step, not yet delivered
	responseSent bool
	woken        bool // a child finished while this runner ran (runHandle.wake)
	// careful is set when this execution was taken over from a process that
	// died running it: every attempt, pure ones too, is then recorded as
	// started before it runs, so a step that kills the process is counted
	// (see crash.go).
	careful bool
}

func newRunner(e *Engine, ex weft.Execution, cw *compiledWorkflow, trigger any, create *pendingCreate) *runner {
	return &runner{
		e: e, ex: ex, cw: cw, trigger: trigger, fresh: create != nil, create: create,
		steps:       map[string]any{},
		runs:        map[runKey]*weft.StepRun{},
		items:       map[string][]*weft.StepRun{},
		dirtySet:    map[runKey]struct{}{},
		itemValues:  map[string][]any{},
		open:        map[string]int{},
		inflight:    map[runKey]bool{},
		inflightPer: map[string]int{},
		results:     make(chan taskResult, 16),
	}
}

func (r *runner) run(ctx context.Context) {
	defer func() {
		if r.create != nil { // stopped before its first write: it was never stored
			r.created(store.Result{}, errors.New("execution stopped before it was stored"))
		}
	}()
	if err := r.load(ctx); err != nil {
		r.e.log.Error("loading execution state", "execution_id", r.ex.ID, "err", err)
		r.finish(weft.ExecutionFailed, &weft.ErrorInfo{Code: "internal", Message: err.Error()})
		return
	}
	if r.ex.CancelRequested {
		r.finish(weft.ExecutionCanceled, &weft.ErrorInfo{Code: "canceled", Message: "execution canceled by request"})
		return
	}
	if t := r.cw.c.Workflow.Timeout.D(); t > 0 && r.ex.StartedAt != nil {
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadlineCause(ctx, r.ex.StartedAt.Add(t), errWorkflowTimeout)
		defer cancel()
	}
	r.e.publishExecution(r.ex)
	var timer *time.Timer
	var wakeC <-chan struct{}
	if r.rh != nil {
		wakeC = r.rh.wake
	}
	for {
		if ctx.Err() != nil {
			r.stop(ctx)
			return
		}
		if err := r.schedule(ctx); err != nil {
			r.abort(ctx, err)
			return
		}
		if ctx.Err() != nil {
			// schedule stops early when the context ends (a long for_each
			// of inline steps): what is left is not stuck, it is stopping.
			r.stop(ctx)
			return
		}
		if len(r.inflight) == 0 {
			if r.failure != nil {
				r.finish(weft.ExecutionFailed, r.failure)
				return
			}
			if r.allDone() {
				r.finish(weft.ExecutionSucceeded, nil)
				return
			}
		}
		if r.response != nil && !r.responseSent {
			if err := r.flush(ctx, &store.ExecutionPatch{Response: r.response}); err != nil {
				r.abort(ctx, err)
				return
			}
			r.deliverResponse()
		}
		wake, ok := r.earliestWake()
		var timerC <-chan time.Time
		if ok {
			d := wake.Sub(r.e.cfg.Now())
			// Waiting for a child never holds a worker: the child's end
			// wakes the parked execution (a parent holding its slot while
			// its child queues for one would deadlock a full engine).
			if len(r.inflight) == 0 && (d > r.e.cfg.InlineWait || (d > 0 && r.waitsForWake())) {
				// A parked execution must still time out on time: wake it
				// at the workflow's deadline if that comes first.
				if dl, ok := ctx.Deadline(); ok && dl.Before(wake) {
					wake = dl
				}
				r.suspend(ctx, wake)
				return
			}
			timer = resetTimer(timer, max(d, 0))
			timerC = timer.C
		} else if len(r.inflight) == 0 {
			r.finish(weft.ExecutionFailed, &weft.ErrorInfo{Code: "internal", Message: "no step can run and none is waiting"})
			return
		}
		select {
		case res := <-r.results:
			r.finishTask(res)
			if err := r.handle(ctx, res); err != nil {
				r.abort(ctx, err)
				return
			}
		case <-wakeC:
			r.woken = true
			r.wakeWaiting()
		case <-timerC:
		case <-ctx.Done():
		}
	}
}

func resetTimer(t *time.Timer, d time.Duration) *time.Timer {
	if t == nil {
		return time.NewTimer(d)
	}
	if !t.Stop() {
		select {
		case <-t.C:
		default:
		}
	}
	t.Reset(d)
	return t
}

// load reads the recorded step runs of a resumed execution and decodes the
// trigger input.
func (r *runner) load(ctx context.Context) error {
	if r.trigger == nil && len(r.ex.Input) > 0 {
		if err := json.Unmarshal(r.ex.Input, &r.trigger); err != nil {
			return fmt.Errorf("decoding execution input: %w", err)
		}
	}
	r.base = expr.Scope{
		"trigger":   r.trigger,
		"steps":     r.steps,
		"execution": map[string]any{"id": r.ex.ID, "trigger": r.ex.Trigger},
		"workflow":  map[string]any{"name": r.ex.Workflow, "version": r.ex.WorkflowVersion},
		"env":       r.e.env,
	}
	r.ex.Status = weft.ExecutionRunning
	if r.fresh {
		return nil
	}
	if r.ex.StartedAt == nil {
		now := r.e.cfg.Now().UTC()
		r.ex.StartedAt = &now
		st := weft.ExecutionRunning
		if _, err := r.e.store.Apply(ctx, store.Mutation{Owner: r.e.cfg.Owner, ExecutionID: r.ex.ID,
			Patch: &store.ExecutionPatch{Status: &st, StartedAt: &now}}); err != nil {
			return fmt.Errorf("recording start: %w", err)
		}
	}
	runs, err := r.e.store.GetStepRuns(ctx, r.ex.ID)
	if err != nil {
		return err
	}
	for i := range runs {
		run := runs[i]
		if _, known := r.cw.c.ByID[run.StepID]; !known {
			continue
		}
		r.runs[runKey{run.StepID, run.Item}] = &run
	}
	if err := r.loadItems(); err != nil {
		return err
	}
	if r.ex.Recovered {
		r.careful = true
		r.countCrashes()
	}
	r.wakeWaiting() // a resumed execution may have been woken by a child's end
	for _, n := range r.cw.c.Nodes {
		if w := r.runs[runKey{n.Step.ID, weft.WholeStep}]; w != nil && w.Status.Finished() {
			if err := r.publishStepScope(n, w); err != nil {
				return err
			}
		}
	}
	return nil
}

func (r *runner) publishStepScope(n *workflow.Node, w *weft.StepRun) error {
	var out any
	if len(w.Output) > 0 {
		if err := json.Unmarshal(w.Output, &out); err != nil {
			return fmt.Errorf("decoding output of step %q: %w", n.Step.ID, err)
		}
	}
	r.setScope(n.Step.ID, w, out)
	return nil
}

func (r *runner) setScope(id string, w *weft.StepRun, out any) {
	var errv any
	if w.Error != nil {
		errv = map[string]any{"code": w.Error.Code, "message": w.Error.Message}
	}
	r.steps[id] = map[string]any{"output": out, "status": string(w.Status), "error": errv}
}

func (r *runner) whole(id string) *weft.StepRun { return r.runs[runKey{id, weft.WholeStep}] }

func (r *runner) allDone() bool {
	for _, n := range r.cw.c.Nodes {
		w := r.whole(n.Step.ID)
		if w == nil || !w.Status.Finished() {
			return false
		}
	}
	return true
}

// markDirty queues a run for the next durable write. The set keeps it O(1):
// a for_each marks every item.
func (r *runner) markDirty(k runKey) {
	if _, ok := r.dirtySet[k]; ok {
		return
	}
	r.dirtySet[k] = struct{}{}
	r.dirty = append(r.dirty, k)
}

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
	r.itemValues[n.Step.ID] = list
	r.open[n.Step.ID] = 0
	in, err := json.Marshal(list)
	if err != nil {
		return false, fmt.Errorf("encoding for_each items of %q: %w", n.Step.ID, err)
	}
	w.Status = weft.StepRunning
	w.Input = in
	w.StartedAt = &now
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
		w.FinishedAt = &now
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
	for _, t := range r.openTasks(n) {
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

// launch runs one attempt: inline for pure steps, in a goroutine otherwise,
// after recording the attempt durably.
func (r *runner) launch(ctx context.Context, n *workflow.Node, t *weft.StepRun) error {
	k := runKey{t.StepID, t.Item}
	now := r.e.cfg.Now().UTC()
	reg, ok := r.e.cfg.Registry.Lookup(n.Step.Uses)
	if !ok {
		r.taskFailed(n, t, &weft.ErrorInfo{Code: "unknown_step_type", Message: fmt.Sprintf("step type %q is not registered in this process", n.Step.Uses)}, now)
		return nil
	}
	with, err := n.With.Eval(ctx, r.scopeFor(t))
	if err != nil && ctx.Err() != nil {
		return nil // stopping: the attempt did not start, run() records the rest
	}
	if err != nil {
		r.taskFailed(n, t, &weft.ErrorInfo{Code: "expression", Message: fmt.Sprintf("evaluating with of step %q: %v", n.Step.ID, err)}, now)
		return nil
	}
	withMap, _ := with.(map[string]any)
	if withMap == nil {
		withMap = map[string]any{}
	}
	applyDefaults(reg.Spec.Fields, withMap)
	recorded, _ := redactForRecord(withMap)
	in, err := json.Marshal(recorded)
	if err != nil {
		r.taskFailed(n, t, &weft.ErrorInfo{Code: "expression", Message: fmt.Sprintf("step %q input is not JSON-encodable: %v", n.Step.ID, err)}, now)
		return nil
	}
	in = r.redactBytes(in)
	var cacheKey string
	if n.Step.Cache != nil {
		if cacheKey, err = r.e.cache.key(ctx, n, r.ex.Workflow, r.scopeFor(t), in); err != nil {
			if ctx.Err() != nil {
				return nil
			}
			r.taskFailed(n, t, &weft.ErrorInfo{Code: "expression", Message: err.Error()}, now)
			return nil
		}
		if out, hit := r.e.cache.get(ctx, n.Step.Uses, cacheKey, now); hit {
			t.Attempts++
			t.Status, t.Input, t.WakeAt = weft.StepRunning, in, nil
			if t.StartedAt == nil {
				t.StartedAt = &now
			}
			r.markDirty(k)
			return r.handle(ctx, taskResult{key: k, res: step.Result{Output: out}, cached: true})
		}
	}
	t.Attempts++
	t.Status = weft.StepRunning
	t.Input = in
	t.WakeAt = nil
	if t.StartedAt == nil {
		t.StartedAt = &now
	}
	r.markDirty(k)
	req := &step.Request{
		Workflow: r.ex.Workflow, ExecutionID: r.ex.ID, StepID: t.StepID, Item: t.Item, Type: n.Step.Uses,
		With: withMap, Attempt: t.Attempts, IdempotencyKey: weft.StepRunID(r.ex.ID, t.StepID, t.Item),
		State: t.State,
		Env: &step.Env{HTTP: r.e.cfg.HTTP, Workflows: children{r.e}, Now: r.e.cfg.Now, Credentials: r.e.cfg.Credentials, Limiter: r.e.cfg.Limiter,
			Logger: r.e.log.With("execution_id", r.ex.ID, "step", t.StepID, "attempt", t.Attempts),
			Emit:   r.emitter(t)},
	}
	if reg.Spec.Pure {
		if r.careful {
			if err := r.flush(ctx, nil); err != nil {
				return err
			}
		}
		start := time.Now()
		res, err := reg.Handler.Run(ctx, req)
		return r.handle(ctx, taskResult{key: k, res: res, err: err, duration: time.Since(start), cacheKey: cacheKey})
	}
	// A side effect is about to happen: make the attempt (and every pure
	// result before it) durable first.
	if err := r.flush(ctx, nil); err != nil {
		return err
	}
	r.publishStep(t)
	timeout := n.Step.Timeout.D()
	if timeout <= 0 {
		timeout = r.e.cfg.StepTimeout
	}
	r.inflight[k] = true
	r.inflightPer[t.StepID]++
	go func() {
		actx, cancel := context.WithTimeout(ctx, timeout)
		defer cancel()
		start := time.Now()
		res, err := safeRun(actx, reg.Handler, req)
		r.results <- taskResult{key: k, res: res, err: err, duration: time.Since(start), cacheKey: cacheKey}
	}()
	return nil
}

func safeRun(ctx context.Context, h step.Handler, req *step.Request) (res step.Result, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("step panicked: %v", p)
		}
	}()
	return h.Run(ctx, req)
}

func (r *runner) finishTask(res taskResult) {
	delete(r.inflight, res.key)
	r.inflightPer[res.key.step]--
}

// handle records the outcome of an attempt.
func (r *runner) handle(ctx context.Context, res taskResult) error {
	n := r.cw.c.ByID[res.key.step]
	t := r.runs[res.key]
	reg, _ := r.e.cfg.Registry.Lookup(n.Step.Uses)
	now := r.e.cfg.Now().UTC()
	outcome := "succeeded"
	defer func() {
		if r.e.m != nil {
			r.e.m.StepDuration.WithLabelValues(n.Step.Uses, outcome).Observe(res.duration.Seconds())
			r.e.m.StepAttempts.WithLabelValues(n.Step.Uses, outcome).Inc()
		}
	}()
	if res.err != nil && ctx.Err() != nil {
		// The execution is stopping (cancel, timeout, lease lost, shutdown);
		// run() decides what to record.
		outcome = "interrupted"
		return nil
	}
	switch {
	case res.err == nil && res.res.Suspend != nil:
		outcome = "suspended"
		state, err := json.Marshal(res.res.Suspend.State)
		if err != nil {
			r.taskFailed(n, t, &weft.ErrorInfo{Code: "step_error", Message: fmt.Sprintf("encoding suspend state: %v", err)}, now)
			break
		}
		until := res.res.Suspend.Until.UTC()
		if reg.Spec.RunOnWake && r.woken {
			// A child finished while this attempt ran: look again now
			// rather than at the fallback re-check.
			r.woken = false
			until = now
		}
		reason := res.res.Suspend.Reason
		if reason == "" {
			reason = "suspended"
		}
		addHistory(t, weft.Attempt{Attempt: t.Attempts, At: now, Outcome: "waiting", DurationMS: res.duration.Milliseconds(),
			Wait: weft.Duration(max(until.Sub(now), 0)), Reason: reason})
		t.Status, t.State, t.WakeAt = weft.StepWaiting, state, &until
		// A suspension does not count as an attempt.
		t.Attempts--
		r.markDirty(res.key)
		r.publishStep(t)
	case res.err == nil:
		out, err := json.Marshal(res.res.Output)
		if err != nil {
			r.taskFailed(n, t, &weft.ErrorInfo{Code: "step_error", Message: fmt.Sprintf("step output is not JSON-encodable: %v", err)}, now)
			break
		}
		out = r.redactBytes(out)
		t.Status, t.Output, t.Error, t.FinishedAt, t.WakeAt = weft.StepSucceeded, out, nil, &now, nil
		if res.cached {
			outcome = "cached"
			addHistory(t, weft.Attempt{Attempt: t.Attempts, At: now, Outcome: "cached"})
		} else {
			addHistory(t, weft.Attempt{Attempt: t.Attempts, At: now, Outcome: "succeeded", DurationMS: res.duration.Milliseconds()})
			if res.cacheKey != "" {
				if err := r.e.cache.put(ctx, res.cacheKey, out, n.Step.Cache.TTL.D(), now); err != nil {
					r.e.log.Warn("filling step cache", "execution_id", r.ex.ID, "step", t.StepID, "err", err)
				}
			}
		}
		r.markDirty(res.key)
		if t.Item == weft.WholeStep {
			r.setScope(t.StepID, t, res.res.Output)
			if n.Step.Uses == "respond" && r.response == nil {
				r.response = out
			}
		} else {
			r.completeForEach(n, now)
		}
		r.publishStep(t)
	default:
		info := step.ErrorInfo(res.err)
		info.Message = r.redactString(info.Message)
		retryable, after := step.IsRetryable(res.err)
		policy := policyFor(n.Step, step.RetryDefaultsOf(res.err))
		if retryable && t.Attempts < policy.MaxAttempts {
			outcome = "retry"
			wait := backoff(policy, t.Attempts, after, nil)
			wake := now.Add(wait)
			why := "backoff"
			if after > 0 {
				why = "retry_after"
			}
			addHistory(t, weft.Attempt{Attempt: t.Attempts, At: now, Outcome: "retry", DurationMS: res.duration.Milliseconds(),
				Code: info.Code, Error: info.Message, Wait: weft.Duration(wait), Reason: why})
			t.Status, t.Error, t.WakeAt = weft.StepWaiting, info, &wake
			r.markDirty(res.key)
			r.publishStep(t)
			r.e.log.Info("step attempt failed; retrying", "execution_id", r.ex.ID, "step", t.StepID, "item", t.Item,
				"attempt", t.Attempts, "wait", wait, "err", info.Message)
		} else {
			outcome = "failed"
			if retryable {
				info.Message = fmt.Sprintf("%s (gave up after %d attempts)", info.Message, t.Attempts)
			}
			addHistory(t, weft.Attempt{Attempt: t.Attempts, At: now, Outcome: "failed", DurationMS: res.duration.Milliseconds(),
				Code: info.Code, Error: info.Message})
			r.e.log.Info("step failed", "execution_id", r.ex.ID, "step", t.StepID, "item", t.Item, "attempt", t.Attempts, "err", info.Message)
			r.taskFailed(n, t, info, now)
		}
	}
	if !reg.Spec.Pure {
		return r.flush(ctx, nil)
	}
	return nil
}

// taskFailed records a failed attempt that will not be retried.
func (r *runner) taskFailed(n *workflow.Node, t *weft.StepRun, info *weft.ErrorInfo, now time.Time) {
	if t.Item == weft.WholeStep {
		r.failStep(n, t, info, now)
		return
	}
	t.Status, t.Error, t.FinishedAt = weft.StepFailed, info, &now
	if t.StartedAt == nil {
		t.StartedAt = &now
	}
	r.markDirty(runKey{t.StepID, t.Item})
	r.publishStep(t)
	r.completeForEach(n, now)
}

// completeForEach finishes a for_each step once none of its items can run.
func (r *runner) completeForEach(n *workflow.Node, now time.Time) {
	if len(r.openTasks(n)) > 0 {
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

func (r *runner) earliestWake() (time.Time, bool) {
	var best time.Time
	found := false
	for _, n := range r.cw.c.Nodes {
		w := r.whole(n.Step.ID)
		if w == nil || w.Status.Finished() {
			continue
		}
		for _, t := range r.openTasks(n) {
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

func (r *runner) deliverResponse() {
	r.responseSent = true
	r.e.events.deliverResponse(r.ex.ID, r.response)
}

// emitter publishes a running attempt's progress as a "step.progress" event.
// It runs on the handler's goroutine, so it reads only values fixed at launch.
func (r *runner) emitter(t *weft.StepRun) func(kind string, data any) {
	id, stepID, item, e := r.ex.ID, t.StepID, t.Item, r.e
	return func(kind string, data any) {
		if !e.events.hasSubscribers(id) {
			return
		}
		e.events.publish(id, Event{Type: "step.progress", Progress: &Progress{StepID: stepID, Item: item, Kind: kind, Data: data}})
	}
}

func (r *runner) publishStep(t *weft.StepRun) {
	if r.e.events.hasSubscribers(r.ex.ID) {
		c := *t
		r.e.events.publish(r.ex.ID, Event{Type: "step", Step: &c})
	}
}

// output is the execution's output: that of the last step, in file order,
// that succeeded.
func (r *runner) output() json.RawMessage {
	nodes := r.cw.c.Nodes
	for i := len(nodes) - 1; i >= 0; i-- {
		if w := r.whole(nodes[i].Step.ID); w != nil && w.Status == weft.StepSucceeded {
			return w.Output
		}
	}
	return nil
}

// writeCtx is used for the final writes of a stopping execution, whose own
// context is already done.
func writeCtx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), 30*time.Second)
}

func (r *runner) finish(status weft.ExecutionStatus, info *weft.ErrorInfo) {
	now := r.e.cfg.Now().UTC()
	patch := &store.ExecutionPatch{Status: &status, FinishedAt: &now, ReleaseLease: true, ClearWake: true}
	if status == weft.ExecutionSucceeded {
		patch.Output = r.output()
		patch.ClearError = true
	} else {
		patch.Error = info
	}
	if r.response != nil && !r.responseSent {
		patch.Response = r.response
	}
	ctx, cancel := writeCtx()
	defer cancel()
	if err := r.flush(ctx, patch); err != nil {
		if errors.Is(err, errNotStored) {
			r.e.events.finish(r.ex.ID)
			return
		}
		if errors.Is(err, weft.ErrLeaseLost) {
			r.e.log.Warn("execution taken over by another process before it finished here", "execution_id", r.ex.ID)
		} else {
			r.e.log.Error("recording execution result", "execution_id", r.ex.ID, "err", err)
		}
		r.e.events.finish(r.ex.ID)
		return
	}
	r.ex.Status, r.ex.FinishedAt, r.ex.Error = status, &now, info
	r.ex.Output = patch.Output
	r.ex.LeaseOwner, r.ex.LeaseUntil = "", nil
	if r.response != nil && !r.responseSent {
		r.deliverResponse()
	}
	r.e.finished(r.ex)
	if status == weft.ExecutionFailed {
		r.e.log.Info("execution failed", "execution_id", r.ex.ID, "workflow", r.ex.Workflow, "err", info.Message)
	}
	r.afterFinish(ctx, status, info)
}

// afterFinish wakes a waiting parent and starts the on_error workflow.
func (r *runner) afterFinish(ctx context.Context, status weft.ExecutionStatus, info *weft.ErrorInfo) {
	if r.ex.ParentID != "" {
		r.e.wakeParent(ctx, r.ex)
	}
	handler := r.cw.c.Workflow.OnError
	if status != weft.ExecutionFailed || handler == "" || r.ex.Trigger == weft.TriggerError {
		return
	}
	failedStep := ""
	for _, n := range r.cw.c.Nodes {
		if w := r.whole(n.Step.ID); w != nil && w.Status == weft.StepFailed {
			failedStep = n.Step.ID
			break
		}
	}
	input, _ := json.Marshal(map[string]any{
		"execution":   map[string]any{"id": r.ex.ID, "workflow": r.ex.Workflow, "trigger": r.ex.Trigger, "input": r.trigger},
		"error":       info,
		"failed_step": failedStep,
	})
	_, err := r.e.Start(ctx, StartRequest{Workflow: handler, Input: input, Trigger: weft.TriggerError,
		Dedupe: &store.DedupeKey{Scope: "on_error", Key: r.ex.ID, ExpiresAt: r.e.cfg.Now().Add(30 * 24 * time.Hour)}})
	if err != nil {
		r.e.log.Error("starting on_error workflow", "execution_id", r.ex.ID, "on_error", handler, "err", err)
	}
}

// suspend parks the execution until wake and frees this worker.
func (r *runner) suspend(ctx context.Context, wake time.Time) {
	st := weft.ExecutionWaiting
	w := wake.UTC()
	// KeepEarlierWake: a child that finished while this execution ran has
	// already set an earlier wake-up; parking must not overwrite it.
	if err := r.flush(ctx, &store.ExecutionPatch{Status: &st, WakeAt: &w, KeepEarlierWake: true, ReleaseLease: true}); err != nil {
		r.abort(ctx, err)
		return
	}
	r.ex.Status, r.ex.WakeAt = st, &w
	r.e.publishExecution(r.ex)
	r.e.events.abandonResponse(r.ex.ID)
	r.e.Kick()
}

// stop handles a done context: cancel, workflow timeout, lost lease or
// shutdown. In-flight attempts are drained first.
func (r *runner) stop(ctx context.Context) {
	for len(r.inflight) > 0 {
		res := <-r.results
		r.finishTask(res)
	}
	cause := context.Cause(ctx)
	now := r.e.cfg.Now().UTC()
	switch {
	case errors.Is(cause, errLeaseLost):
		r.e.events.abandonResponse(r.ex.ID)
		return
	case errors.Is(cause, errShutdown):
		st := weft.ExecutionWaiting
		wctx, cancel := writeCtx()
		defer cancel()
		if err := r.flush(wctx, &store.ExecutionPatch{Status: &st, WakeAt: &now, ReleaseLease: true}); err != nil {
			r.e.log.Warn("releasing execution at shutdown", "execution_id", r.ex.ID, "err", err)
		}
		r.e.events.abandonResponse(r.ex.ID)
		return
	case errors.Is(cause, errWorkflowTimeout):
		r.interruptRunning(now, "timeout", "workflow timed out")
		r.finish(weft.ExecutionFailed, &weft.ErrorInfo{Code: "timeout", Message: fmt.Sprintf("workflow timed out after %s", r.cw.c.Workflow.Timeout)})
	default:
		r.interruptRunning(now, "canceled", "execution canceled by request")
		r.finish(weft.ExecutionCanceled, &weft.ErrorInfo{Code: "canceled", Message: "execution canceled by request"})
	}
}

// interruptRunning marks unfinished step runs as canceled.
func (r *runner) interruptRunning(now time.Time, code, msg string) {
	for k, t := range r.runs {
		if t.Status == weft.StepRunning || t.Status == weft.StepWaiting || t.Status == weft.StepPending {
			t.Status, t.FinishedAt, t.WakeAt = weft.StepCanceled, &now, nil
			t.Error = &weft.ErrorInfo{Code: code, Message: msg}
			if t.StartedAt == nil {
				t.StartedAt = &now
			}
			r.markDirty(k)
		}
	}
}

// abort handles a failed durable write: a lost lease means another process
// owns the execution now; anything else is retried later by whoever claims
// it after our lease lapses.
func (r *runner) abort(ctx context.Context, err error) {
	for len(r.inflight) > 0 {
		res := <-r.results
		r.finishTask(res)
	}
	if !errors.Is(err, weft.ErrLeaseLost) && !errors.Is(err, errNotStored) {
		r.e.log.Error("execution stopped in this process after a store error; it resumes after the lease expires", "execution_id", r.ex.ID, "err", err)
	}
	r.e.events.abandonResponse(r.ex.ID)
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

// applyDefaults fills in declared defaults for absent fields.
func applyDefaults(fields []step.Field, with map[string]any) {
	for _, f := range fields {
		if f.Default == nil {
			continue
		}
		if _, ok := with[f.Name]; !ok {
			with[f.Name] = f.Default
		}
	}
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

func (r *runner) redactBytes(b []byte) []byte {
	if r.e.cfg.Redactor == nil {
		return b
	}
	return r.e.cfg.Redactor.Bytes(b)
}

func (r *runner) redactString(s string) string {
	if r.e.cfg.Redactor == nil {
		return s
	}
	return r.e.cfg.Redactor.String(s)
}
