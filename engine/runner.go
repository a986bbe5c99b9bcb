package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"go.opentelemetry.io/otel/trace"

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
	cacheKey string     // set when the step has `cache:` and the result may fill it
	cached   bool       // the result came from the cache
	span     trace.Span // the attempt's span; nil when tracing is off
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
	// dirtySet holds the keys in dirty once they are more than dirtyScan
	// (a for_each marks every item); below that markDirty scans dirty.
	dirtySet map[runKey]struct{}
	// dirtyBuf is dirty's first array: most executions never mark more.
	dirtyBuf [4]runKey
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
	// park holds the waiting attempts that asked to park however short
	// their wait (step.Suspend.Park: polling).
	park map[runKey]bool
	// resumeEach are the Resumable for_each steps, whose resume URLs are
	// one per item (see refreshResumeItems); resumeCount is the item count
	// their URL lists were built for.
	resumeEach  []*workflow.Node
	resumeCount map[string]int
	// careful is set when this execution was taken over from a process that
	// died running it: every attempt, pure ones too, is then recorded as
	// started before it runs, so a step that kills the process is counted
	// (see crash.go).
	careful bool
}

func newRunner(e *Engine, ex weft.Execution, cw *compiledWorkflow, trigger any, create *pendingCreate) *runner {
	r := &runner{
		e: e, ex: ex, cw: cw, trigger: trigger, fresh: create != nil, create: create,
		steps: map[string]any{},
		runs:  map[runKey]*weft.StepRun{},
		// items, itemValues, open (for_each), park, dirtySet, and inflight,
		// inflightPer and results (steps that call out) are made when first
		// written: most executions never write them, reading a nil map is
		// reading an empty one, and nothing receives from results before a
		// step runs in its own goroutine.
	}
	r.dirty = r.dirtyBuf[:0]
	return r
}

// forEachMaps makes the for_each maps before their first write.
func (r *runner) forEachMaps() {
	if r.items == nil {
		r.items = map[string][]*weft.StepRun{}
		r.itemValues = map[string][]any{}
		r.open = map[string]int{}
	}
}

func (r *runner) run(ctx context.Context) {
	ctx, endSpan := r.traceRun(ctx)
	defer endSpan()
	defer func() {
		if r.create != nil { // stopped before its first write: it was never stored
			r.created(store.Result{}, errors.New("execution stopped before it was stored"))
		}
	}()
	if err := r.load(ctx); err != nil {
		if ctx.Err() != nil {
			// Stopped while loading (shutdown, cancel, lease lost): the
			// load did not fail, it was interrupted.
			r.stop(ctx)
			return
		}
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
			if len(r.inflight) == 0 && (d > r.e.cfg.InlineWait || (d > 0 && (r.waitsForWake() || r.wantsPark()))) {
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
		"execution": r.executionScope(),
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
	r.steps[id] = map[string]any{"output": out, "status": statusValue(w.Status), "error": errv}
}

// statusValue is string(s) as an any. The known statuses are constants,
// which convert to an interface without an allocation; a variable's string
// would be copied to the heap.
func statusValue(s weft.StepStatus) any {
	switch s {
	case weft.StepPending:
		return string(weft.StepPending)
	case weft.StepRunning:
		return string(weft.StepRunning)
	case weft.StepWaiting:
		return string(weft.StepWaiting)
	case weft.StepSucceeded:
		return string(weft.StepSucceeded)
	case weft.StepFailed:
		return string(weft.StepFailed)
	case weft.StepSkipped:
		return string(weft.StepSkipped)
	case weft.StepCanceled:
		return string(weft.StepCanceled)
	}
	return string(s)
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
