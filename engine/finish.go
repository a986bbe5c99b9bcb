package engine

// Finishing: the end of an execution (succeeded, failed, canceled, timed out),
// parking it while it waits, and stopping it at shutdown or on a lost lease.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/store"
)

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
	// A respond: sync caller keeps waiting (up to its timeout): when this
	// process resumes the execution, its end or respond step still answers
	// the caller. Taken over elsewhere, the caller gets 202 at its timeout.
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

func (r *runner) deliverResponse() {
	r.responseSent = true
	r.e.events.deliverResponse(r.ex.ID, r.response)
}

func (r *runner) publishStep(t *weft.StepRun) {
	if r.e.events.hasSubscribers(r.ex.ID) {
		c := *t
		r.e.events.publish(r.ex.ID, Event{Type: "step", Step: &c})
	}
}
