package core

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/weftworks/weft/connectors/internal/input"
	"github.com/weftworks/weft/step"
)

var _ step.Handler = approval{}

func approvalSpec() step.Spec {
	return step.Spec{
		Type:     "approval",
		Title:    "Approval",
		Category: step.CategoryCore,
		Description: "Waits, without holding a worker, until a person approves or rejects. The request appears in the " +
			"console's Approvals inbox and in GET /api/v1/approvals; a decision is made there (POST " +
			"/api/v1/approvals/{execution}/{step}) or by a POST of `{\"decision\": \"approve\"|\"reject\", \"comment\": …}` " +
			"to the step's resume URL (`{{ execution.resume_urls.<step id> }}`), which a preceding step can put into a " +
			"Slack message, an email or a webhook. The first decision counts; who decided, when and why is the step's output.",
		Fields: []step.Field{
			{Name: "message", Type: step.String, Required: true, Example: "Refund {{ trigger.body.amount }} EUR to {{ trigger.body.customer }}?",
				Description: "What the approver is asked; shown in the inbox."},
			{Name: "details", Type: step.Any, Example: map[string]any{"order": "o_1"},
				Description: "Extra data shown with the request."},
			{Name: "timeout", Type: step.Duration, Default: "7d", Example: "2d",
				Description: "How long to wait for a decision (at most 365d)."},
			{Name: "on_timeout", Type: step.String, Default: "fail", Enum: []string{"fail", "reject"},
				Description: "When nobody decided in time: fail the step (code `approval_timeout`), or go on as rejected."},
			{Name: "verify", Type: step.Any, Literal: "verify is configuration read when the workflow is saved; secrets come from the credential it names",
				Example: map[string]any{"scheme": "hmac", "credential": "jobs_callback", "header": "X-Signature"},
				Description: "Verify decisions POSTed to the resume URL like a webhook: the same schemes and keys as on.webhook.verify " +
					"(one mapping or a list, any one passing is enough). A call that fails is answered 401 and does not use up the URL."},
			{Name: "on_reject", Type: step.String, Default: "continue", Enum: []string{"continue", "fail"},
				Description: "A rejection outputs `approved: false` and the workflow goes on (use `if:`), or fails the step (code `rejected`)."},
		},
		Output:    "`{approved, decision, comment, by, at}`: approve or reject, the approver's comment, who decided and when.",
		RunOnWake: true,
		Resumable: true,
		Example: `- id: approve
  uses: approval
  with:
    message: "Refund {{ trigger.body.amount }} EUR?"
    timeout: 2d
`,
	}
}

type approvalState struct {
	Deadline  time.Time `json:"deadline"`
	Timeout   string    `json:"timeout"`
	OnTimeout string    `json:"on_timeout"`
	OnReject  string    `json:"on_reject"`
}

type approval struct{ spec step.Spec }

func (h approval) Run(ctx context.Context, req *step.Request) (step.Result, error) {
	if req.Env == nil || req.Env.Events == nil {
		return step.Result{}, step.Errorf("not_configured", "approval: this process cannot wait for approvals")
	}
	ev := req.Env.Events
	now := clock(req.Env)()
	key := step.ResumeKey(req.ExecutionID, req.StepID, req.Item)
	var st approvalState
	if req.State != nil {
		if err := json.Unmarshal(req.State, &st); err != nil || st.Deadline.IsZero() {
			return step.Result{}, fmt.Errorf("approval: reading saved state: no deadline in %s", req.State)
		}
	} else {
		var err error
		if st, err = h.start(ctx, req, now, key); err != nil {
			return step.Result{}, err
		}
	}
	for _, name := range []string{step.EventApproval, step.EventResume} {
		got, ok, err := ev.Take(ctx, req, name, key, nil)
		if err != nil {
			return step.Result{}, step.Retryable(fmt.Errorf("approval: looking for a decision: %w", err), 0)
		}
		if ok {
			_ = ev.Done(ctx, req)
			return decided(got, name, st)
		}
	}
	if !now.Before(st.Deadline) {
		_ = ev.Done(ctx, req)
		if st.OnTimeout == "reject" {
			return step.Result{Output: map[string]any{"approved": false, "decision": "reject", "comment": "timed out", "by": "timeout",
				"at": now.UTC().Format(time.RFC3339Nano)}}, nil
		}
		return step.Result{}, step.Errorf("approval_timeout", "approval: nobody decided within %s; raise `timeout` or set `on_timeout: reject`", st.Timeout)
	}
	return step.Result{Suspend: &step.Suspend{Until: minTime(st.Deadline, now.Add(eventRecheck)), State: st, Reason: "approval"}}, nil
}

func (h approval) start(ctx context.Context, req *step.Request, now time.Time, key string) (approvalState, error) {
	in := input.New(&h.spec, req.With)
	msg, err := in.String("message")
	if err != nil {
		return approvalState{}, err
	}
	timeout, err := in.Duration("timeout")
	if err != nil {
		return approvalState{}, err
	}
	if timeout <= 0 || timeout > maxEventTimeout {
		return approvalState{}, input.Invalid("timeout", "must be between 1s and 365d, not %s", timeout)
	}
	st := approvalState{Deadline: now.Add(timeout).UTC(), Timeout: timeout.String()}
	if st.OnTimeout, err = in.String("on_timeout"); err != nil {
		return approvalState{}, err
	}
	if st.OnReject, err = in.String("on_reject"); err != nil {
		return approvalState{}, err
	}
	info := map[string]any{"message": msg}
	if in.Has("details") {
		info["details"] = req.With["details"]
	}
	if err := req.Env.Events.Wait(ctx, req, step.Wait{Name: step.EventApproval, Key: key, Expires: st.Deadline.Add(time.Hour), Info: info}); err != nil {
		return approvalState{}, step.Retryable(fmt.Errorf("approval: recording the request: %w", err), 0)
	}
	return st, nil
}

// decided turns a decision (from the inbox or the resume URL) into the
// step's result.
func decided(got step.Event, name string, st approvalState) (step.Result, error) {
	var d struct {
		Decision string `json:"decision"`
		Comment  string `json:"comment"`
		By       string `json:"by"`
		At       string `json:"at"`
	}
	_ = json.Unmarshal(got.Payload, &d)
	d.Decision = strings.ToLower(strings.TrimSpace(d.Decision))
	if name == step.EventResume {
		d.By, d.At = "resume URL", got.CreatedAt.UTC().Format(time.RFC3339Nano)
	}
	if d.Decision != "approve" && d.Decision != "reject" {
		return step.Result{}, step.Errorf("approval_invalid", "approval: the resume URL was called with decision %q; "+
			"POST {\"decision\": \"approve\"} or {\"decision\": \"reject\"}", d.Decision)
	}
	if len(d.Comment) > 4000 {
		d.Comment = d.Comment[:4000]
	}
	out := map[string]any{"approved": d.Decision == "approve", "decision": d.Decision, "comment": d.Comment, "by": d.By, "at": d.At}
	if d.Decision == "reject" && st.OnReject == "fail" {
		return step.Result{}, step.Errorf("rejected", "approval: rejected by %s: %s", d.By, d.Comment)
	}
	return step.Result{Output: out}, nil
}
