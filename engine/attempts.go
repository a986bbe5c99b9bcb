package engine

// Attempts and retries: running one attempt of a step (inline or in its own
// goroutine) and recording its outcome: success, suspension, retry or failure.

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/internal/jsonvalue"
	"github.com/weftworks/weft/step"
	"github.com/weftworks/weft/workflow"
)

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
	r.refreshResumeItems(ctx)
	endWait(t, now)
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
	for name := range n.Deferred {
		withMap[name] = n.Step.With[name] // its source: the step evaluates it (step.Field.Deferred)
	}
	recorded, _ := redactForRecord(withMap)
	in, err := jsonvalue.Marshal(recorded)
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
			_, span := r.traceAttempt(ctx, n, t, withMap)
			t.Status, t.Input, t.WakeAt = weft.StepRunning, in, nil
			if t.StartedAt == nil {
				t.StartedAt = &now
			}
			r.markDirty(k)
			return r.handle(ctx, taskResult{key: k, res: step.Result{Output: out}, cached: true, span: span})
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
	sctx, span := r.traceAttempt(ctx, n, t, withMap)
	req := r.newRequest(n, t, withMap)
	if reg.Spec.Pure {
		if r.careful {
			if err := r.flush(ctx, nil); err != nil {
				endAttempt(span, "interrupted", nil)
				return err
			}
		}
		start := time.Now()
		res, err := reg.Handler.Run(sctx, req)
		return r.handle(ctx, taskResult{key: k, res: res, err: err, duration: time.Since(start), cacheKey: cacheKey, span: span})
	}
	// A side effect is about to happen: make the attempt (and every pure
	// result before it) durable first.
	if err := r.flush(ctx, nil); err != nil {
		endAttempt(span, "interrupted", nil)
		return err
	}
	r.publishStep(t)
	timeout := n.Step.Timeout.D()
	if timeout <= 0 {
		timeout = r.e.cfg.StepTimeout
	}
	if r.inflight == nil {
		r.inflight = map[runKey]bool{}
		r.inflightPer = map[string]int{}
		r.results = make(chan taskResult, 16)
	}
	r.inflight[k] = true
	r.inflightPer[t.StepID]++
	h := reg.Handler // not reg: the closure would move the whole registration to the heap
	go func() {
		actx, cancel := context.WithTimeout(sctx, timeout)
		defer cancel()
		start := time.Now()
		res, err := safeRun(actx, h, req)
		r.results <- taskResult{key: k, res: res, err: err, duration: time.Since(start), cacheKey: cacheKey, span: span}
	}()
	return nil
}

// attempt is what one attempt's handler gets. The request, its env and its
// logger live exactly as long as each other, so they are one allocation
// instead of four.
type attempt struct {
	req  step.Request
	env  step.Env
	log  slog.Logger
	lazy lazyAttrs
}

// newRequest builds the request of t's next attempt (t.Attempts already
// counts it).
func (r *runner) newRequest(n *workflow.Node, t *weft.StepRun, with map[string]any) *step.Request {
	a := &attempt{}
	a.lazy.init(r.e.log, r.ex.ID, t.StepID, t.Attempts)
	a.log = *slog.New(&a.lazy)
	a.env = step.Env{HTTP: r.e.cfg.HTTP, Workflows: children{r.e}, Now: r.e.cfg.Now, Connections: r.e.cfg.Connections,
		Limiter: r.e.cfg.Limiter, Logger: &a.log, Emit: r.emitter(t), Events: r.e.cfg.Events}
	a.req = step.Request{
		Workflow: r.ex.Workflow, ExecutionID: r.ex.ID, StepID: t.StepID, Item: t.Item, Type: n.Step.Uses,
		With: with, Attempt: t.Attempts, IdempotencyKey: weft.StepRunID(r.ex.ID, t.StepID, t.Item),
		State: t.State, Env: &a.env, Eval: r.deferredEval(n, t),
	}
	return &a.req
}

// endWait records the pause that actually came before this attempt. The
// wait of the last history entry is the one chosen when the step suspended
// (a workflow.call's 30 s fallback re-check); a step run again sooner (its
// child's end woke it) waited only until now.
func endWait(t *weft.StepRun, now time.Time) {
	n := len(t.History)
	if n == 0 {
		return
	}
	last := t.History[n-1]
	waited := now.Sub(last.At)
	if last.Wait <= 0 || waited < 0 || waited >= last.Wait.D() {
		return
	}
	last.Wait = weft.Duration(waited)
	// A new slice: the old one may be shared with a published copy of the run.
	h := append(make([]weft.Attempt, 0, n), t.History[:n-1]...)
	t.History = append(h, last)
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
	var failure *weft.ErrorInfo
	defer func() {
		endAttempt(res.span, outcome, failure)
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
		if res.res.Suspend.Park {
			if r.park == nil {
				r.park = map[runKey]bool{}
			}
			r.park[res.key] = true
		} else {
			delete(r.park, res.key)
		}
		// A suspension does not count as an attempt.
		t.Attempts--
		r.markDirty(res.key)
		r.publishStep(t)
	case res.err == nil:
		out, err := jsonvalue.Marshal(res.res.Output)
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
		failure = info
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
