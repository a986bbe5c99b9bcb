package engine

// A single-step test run for the editor's "Run this step": one step of a
// stored workflow runs with the trigger and upstream outputs the caller
// gives (the last run's or pinned test data), through the same input
// evaluation, defaults, environment, timeout and panic guard as an attempt
// of an execution. Nothing is stored: it is a preview, not an execution, so
// it has no retries, no cache and cannot wait.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/expr"
	"github.com/weftworks/weft/step"
)

// StepTestRequest asks RunStep to run one step.
type StepTestRequest struct {
	Workflow string
	Step     string
	// Trigger is what `trigger` holds in the step's expressions.
	Trigger any
	// Outputs are steps.<id>.output of the steps before it.
	Outputs map[string]any
	// Item is `item` for a step with for_each (its first item when nil).
	Item any
}

// StepTestResult is the outcome of RunStep. Error is set when the step
// failed (the HTTP call is still a success: the step ran).
type StepTestResult struct {
	Step     string          `json:"step"`
	Input    json.RawMessage `json:"input,omitempty"`
	Output   any             `json:"output,omitempty"`
	Error    *weft.ErrorInfo `json:"error,omitempty"`
	Duration string          `json:"duration"`
}

// testRunPrefix marks the execution id a test step sees, so nothing can take
// it for a stored execution.
const testRunPrefix = "test-"

// RunStep runs one step of the newest version of a stored workflow once.
func (e *Engine) RunStep(ctx context.Context, req StepTestRequest) (StepTestResult, error) {
	cw, err := e.workflows.get(ctx, req.Workflow, 0)
	if err != nil {
		return StepTestResult{}, err
	}
	n, ok := cw.c.ByID[req.Step]
	if !ok {
		return StepTestResult{}, fmt.Errorf("workflow %q has no step %q: %w", req.Workflow, req.Step, weft.ErrNotFound)
	}
	out := StepTestResult{Step: req.Step}
	reg, ok := e.cfg.Registry.Lookup(n.Step.Uses)
	if !ok {
		out.Error = &weft.ErrorInfo{Code: "unknown_step_type", Message: fmt.Sprintf("step type %q is not registered in this process", n.Step.Uses)}
		return out, nil
	}
	now := e.cfg.Now().UTC()
	id := testRunPrefix + NewID(now)
	steps := map[string]any{}
	for k, v := range req.Outputs {
		steps[k] = map[string]any{"output": v, "status": string(weft.StepSucceeded), "error": nil}
	}
	scope := expr.Scope{
		"trigger":   req.Trigger,
		"steps":     steps,
		"execution": map[string]any{"id": id, "trigger": weft.TriggerManual},
		"workflow":  map[string]any{"name": cw.rec.Name, "version": cw.rec.Version},
		"env":       e.env,
	}
	if n.ForEach != nil {
		item := req.Item
		if item == nil {
			list, err := n.ForEach.Eval(ctx, scope)
			if err != nil {
				out.Error = &weft.ErrorInfo{Code: "expression", Message: fmt.Sprintf("evaluating for_each of step %q: %v", n.Step.ID, err)}
				return out, nil
			}
			if l, ok := list.([]any); ok && len(l) > 0 {
				item = l[0]
			}
		}
		scope["item"], scope["index"] = item, 0
	}
	with, err := n.With.Eval(ctx, scope)
	if err != nil {
		out.Error = &weft.ErrorInfo{Code: "expression", Message: fmt.Sprintf("evaluating with of step %q: %v", n.Step.ID, err)}
		return out, nil
	}
	withMap, _ := with.(map[string]any)
	if withMap == nil {
		withMap = map[string]any{}
	}
	applyDefaults(reg.Spec.Fields, withMap)
	for name := range n.Deferred {
		withMap[name] = n.Step.With[name]
	}
	recorded, _ := redactForRecord(withMap)
	if in, err := json.Marshal(recorded); err == nil {
		out.Input = e.redact(in)
	}
	timeout := n.Step.Timeout.D()
	if timeout <= 0 {
		timeout = e.cfg.StepTimeout
	}
	sctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	sreq := &step.Request{
		Workflow: cw.rec.Name, ExecutionID: id, StepID: n.Step.ID, Type: n.Step.Uses,
		With: withMap, Attempt: 1, IdempotencyKey: weft.StepRunID(id, n.Step.ID, weft.WholeStep),
		Env: &step.Env{HTTP: e.cfg.HTTP, Workflows: children{e}, Now: e.cfg.Now, Connections: e.cfg.Connections, Limiter: e.cfg.Limiter,
			Logger: e.log.With("test_run", id, "workflow", cw.rec.Name, "step", n.Step.ID),
			Emit:   func(string, any) {}, Events: e.cfg.Events},
		Eval: func(ctx context.Context, field string, vars map[string]any) (any, bool, error) {
			v, ok := n.Deferred[field]
			if !ok {
				return nil, false, nil
			}
			s := make(expr.Scope, len(scope)+len(vars))
			for k, x := range scope {
				s[k] = x
			}
			for k, x := range vars {
				s[k] = x
			}
			r, err := v.Eval(ctx, s)
			return r, true, err
		},
	}
	start := time.Now()
	res, err := safeRun(sctx, reg.Handler, sreq)
	out.Duration = time.Since(start).Round(time.Millisecond).String()
	switch {
	case err != nil:
		code := "step_failed"
		if errors.Is(err, context.DeadlineExceeded) {
			code = "timeout"
		}
		out.Error = &weft.ErrorInfo{Code: code, Message: e.redactText(err.Error())}
	case res.Suspend != nil:
		out.Error = &weft.ErrorInfo{Code: "would_wait", Message: fmt.Sprintf("step %q asked to wait until %s; a single-step test run does not wait: run the workflow to see it resume", n.Step.ID, res.Suspend.Until.UTC().Format(time.RFC3339))}
	default:
		b, err := json.Marshal(res.Output)
		if err != nil {
			out.Error = &weft.ErrorInfo{Code: "output", Message: fmt.Sprintf("step %q output is not JSON-encodable: %v", n.Step.ID, err)}
			break
		}
		if err := json.Unmarshal(e.redact(b), &out.Output); err != nil {
			return out, fmt.Errorf("decoding redacted output: %w", err)
		}
	}
	return out, nil
}

func (e *Engine) redact(b []byte) []byte {
	if e.cfg.Redactor == nil {
		return b
	}
	return e.cfg.Redactor.Bytes(b)
}

func (e *Engine) redactText(s string) string {
	if e.cfg.Redactor == nil {
		return s
	}
	return e.cfg.Redactor.String(s)
}
