package core

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"
	"unicode/utf8"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/connectors/internal/input"
	"github.com/weftworks/weft/step"
)

var _ step.Handler = call{}

// recheck is the fallback re-check while a child runs. The step is
// RunOnWake: the child's end wakes the parent, which runs the step again at
// once, so this only bounds the delay when that wake-up is missed (a crash
// between the child's end and the wake-up). It is longer than the engine's
// inline wait, so a waiting parent parks and holds no worker.
const recheck = 30 * time.Second

func callSpec() step.Spec {
	return step.Spec{
		Type:     "workflow.call",
		Title:    "Call workflow",
		Category: step.CategoryCore,
		Description: "Runs another workflow as a child execution and waits for it without holding a worker. " +
			"The step succeeds with the child's output when the child succeeds, and fails when the child " +
			"fails or is canceled. The child is started once per step run: a retry or a restart finds the " +
			"same child instead of starting another. While the child runs, the parent is parked and the child's end " +
			"wakes it. Calls nest at most 16 deep by default (`weft serve --max-call-depth`): a deeper call " +
			"fails with code `call_depth`, which stops a workflow that calls itself without an end condition.",
		Fields: []step.Field{
			{Name: "workflow", Type: step.String, Required: true, Example: "send-invoice",
				Description: "Name of the workflow to run; its active version is used."},
			{Name: "input", Type: step.Any, Example: map[string]any{"order_id": "o_123"},
				Description: "The child's trigger input: the child reads it as `trigger` (`input: {id: 1}` gives `trigger.id`, not `trigger.body.id`). An empty object when absent."},
		},
		Output:    "The child execution's output, as the child's last step (or its `respond` step) produced it.",
		RunOnWake: true,
		Example: `- id: invoice
  uses: workflow.call
  with:
    workflow: send-invoice
    input:
      order_id: "{{ steps.order.output.id }}"
`,
	}
}

// callState is what workflow.call keeps across suspensions.
type callState struct {
	Child string `json:"child"`
}

// call starts a child workflow and reads it again each time the parent is
// woken (by the child's end, or the fallback re-check) until it finished.
type call struct{ spec step.Spec }

func (h call) Run(ctx context.Context, req *step.Request) (step.Result, error) {
	if req.Env == nil || req.Env.Workflows == nil {
		return step.Result{}, step.Errorf("not_configured", "workflow.call: this process cannot start workflows")
	}
	now := clock(req.Env)()
	if req.State == nil {
		return h.start(ctx, req, now)
	}
	var st callState
	if err := json.Unmarshal(req.State, &st); err != nil || st.Child == "" {
		return step.Result{}, fmt.Errorf("workflow.call: reading saved state: no child id in %s", req.State)
	}
	return h.poll(ctx, req, st, now)
}

func (h call) start(ctx context.Context, req *step.Request, now time.Time) (step.Result, error) {
	in := input.New(&h.spec, req.With)
	name, err := in.String("workflow")
	if err != nil {
		return step.Result{}, err
	}
	body := any(map[string]any{})
	if in.Has("input") {
		body = req.With["input"]
	}
	raw, err := json.Marshal(body)
	if err != nil {
		return step.Result{}, input.Invalid("input", "cannot be written as JSON: %v", err)
	}
	id, err := req.Env.Workflows.Start(ctx, name, raw, req.ExecutionID, req.StepID, req.IdempotencyKey)
	var coded *step.CodedError
	switch {
	case errors.As(err, &coded):
		// Refused for a reason of its own (the call depth limit): as is.
		return step.Result{}, err
	case errors.Is(err, weft.ErrNotFound):
		return step.Result{}, step.Errorf("workflow_not_found", "workflow.call: no workflow named %q: %v", name, err)
	case errors.Is(err, weft.ErrInvalid):
		return step.Result{}, step.Errorf(input.CodeValidation, "workflow.call: starting %q: %v", name, err)
	case err != nil && ctx.Err() != nil:
		return step.Result{}, fmt.Errorf("workflow.call: starting %q: %w", name, ctx.Err())
	case err != nil:
		// A store hiccup or overload; Start is idempotent on the key, so
		// another attempt cannot start a second child.
		return step.Result{}, step.Retryable(fmt.Errorf("workflow.call: starting %q: %w", name, err), 0)
	}
	return step.Result{Suspend: &step.Suspend{Until: now.Add(recheck), State: callState{Child: id}, Reason: "child", Child: id}}, nil
}

func (h call) poll(ctx context.Context, req *step.Request, st callState, now time.Time) (step.Result, error) {
	child, err := req.Env.Workflows.Get(ctx, st.Child)
	switch {
	case errors.Is(err, weft.ErrNotFound):
		return step.Result{}, step.Errorf("child_not_found", "workflow.call: child execution %s no longer exists", st.Child)
	case err != nil && ctx.Err() != nil:
		return step.Result{}, fmt.Errorf("workflow.call: reading child execution %s: %w", st.Child, ctx.Err())
	case err != nil:
		return step.Result{}, step.Retryable(fmt.Errorf("workflow.call: reading child execution %s: %w", st.Child, err), 0)
	}
	switch child.Status {
	case weft.ExecutionSucceeded:
		var out any
		if len(child.Output) > 0 {
			if err := json.Unmarshal(child.Output, &out); err != nil {
				return step.Result{}, fmt.Errorf("workflow.call: decoding output of child execution %s: %w", st.Child, err)
			}
		}
		return step.Result{Output: out}, nil
	case weft.ExecutionFailed:
		reason := "no error recorded"
		if child.Error != nil {
			reason = clipReason(child.Error.Error())
		}
		return step.Result{}, step.Errorf("child_failed", "workflow.call: child workflow %q (execution %s) failed: %s", child.Workflow, st.Child, reason)
	case weft.ExecutionCanceled:
		return step.Result{}, step.Errorf("child_canceled", "workflow.call: child workflow %q (execution %s) was canceled", child.Workflow, st.Child)
	}
	return step.Result{Suspend: &step.Suspend{Until: now.Add(recheck), State: st, Reason: "child", Child: st.Child}}, nil
}

// maxReason bounds the child's error repeated in the parent's: a chain of
// nested calls would otherwise repeat every level's message in every level
// above it (quadratic in the depth). The root cause is at the end of a
// nested message, so the tail is kept.
const maxReason = 1024

func clipReason(s string) string {
	if len(s) <= maxReason {
		return s
	}
	head, tail := s[:256], s[len(s)-(maxReason-256):]
	for !utf8.ValidString(head) && len(head) > 0 {
		head = head[:len(head)-1]
	}
	for !utf8.ValidString(tail) && len(tail) > 0 {
		tail = tail[1:]
	}
	return fmt.Sprintf("%s …[%d bytes]… %s", head, len(s)-len(head)-len(tail), tail)
}
