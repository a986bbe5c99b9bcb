package core

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/weftworks/weft/connectors/internal/input"
	"github.com/weftworks/weft/step"
)

var _ step.Handler = wait{}

func waitSpec() step.Spec {
	return step.Spec{
		Type:     "wait",
		Title:    "Wait",
		Category: step.CategoryCore,
		Description: "Pauses the workflow for a duration (`for`), until a moment (`until`), until a matching event " +
			"arrives (`event`, see docs/events.md) or until its resume URL is called (`resume: true`); give exactly one. " +
			"The wait is durable: no worker is held while waiting, and the deadline is fixed when the step " +
			"first runs, so a restart or a takeover by another process does not make the wait longer. " +
			"A moment already past finishes at once. An event or resume wait ends at `timeout` (default 24h): " +
			"it then fails (`on_timeout: fail`, the default, code `wait_timeout`) or outputs `{timed_out: true}` " +
			"(`on_timeout: continue`).",
		Fields: []step.Field{
			{Name: "for", Type: step.Duration, Example: "10m",
				Description: "How long to wait, like 30s, 10m, 2h or 7d."},
			{Name: "until", Type: step.String, Example: "2026-01-31T09:00:00Z",
				Description: "When to go on: an RFC 3339 time with a zone (2026-01-31T09:00:00+01:00), or a time value from an expression."},
			{Name: "event", Type: step.String, Example: "payment.settled",
				Description: "Wait for an event with this name (POST /api/v1/events or an event.emit step). Each event is taken by one waiting step."},
			{Name: "key", Type: step.String, Example: "{{ trigger.body.order_id }}",
				Description: "Correlation key, evaluated when the step starts: only events published with the same key are considered (indexed). Empty: events published without a key."},
			{Name: "match", Type: step.Any, Deferred: true, Example: "{{ event.amount >= trigger.body.total }}",
				Description: "Extra filter evaluated for each candidate event, with the event's payload as `event`; the first event it accepts is taken."},
			{Name: "verify", Type: step.Any, Literal: "verify is configuration read when the workflow is saved; secrets come from the credential it names",
				Example: map[string]any{"scheme": "hmac", "credential": "jobs_callback", "header": "X-Signature"},
				Description: "With resume: verify calls of the resume URL like a webhook: the same schemes and keys as on.webhook.verify " +
					"(one mapping or a list, any one passing is enough). A call that fails is answered 401 and does not use up the URL."},
			{Name: "resume", Type: step.Boolean, Example: true,
				Description: "Wait for a POST to this step's resume URL ({{ execution.resume_url }}); the POSTed JSON becomes the output. The URL works once."},
			{Name: "timeout", Type: step.Duration, Default: "24h", Example: "2h",
				Description: "With event or resume: how long to wait at most (at most 365d)."},
			{Name: "on_timeout", Type: step.String, Default: "fail", Enum: []string{"fail", "continue"},
				Description: "With event or resume: fail the step when the timeout passes, or go on with output `{timed_out: true}`."},
		},
		Output: "For `for`/`until`: `{waited_until}`, the deadline as an RFC 3339 time in UTC. For `event` and `resume`: " +
			"the event's payload (the POSTed JSON), or `{timed_out: true}` after a timeout with `on_timeout: continue`.",
		OneOf:     []string{"for", "until", "event", "resume"},
		RunOnWake: true,
		Resumable: true,
		Example: `- id: cool_off
  uses: wait
  with:
    for: 10m
`,
	}
}

// waitState is what wait keeps across suspensions.
type waitState struct {
	Until time.Time `json:"until"`
}

// wait suspends until a deadline fixed on its first run.
type wait struct{ spec step.Spec }

func (h wait) Run(ctx context.Context, req *step.Request) (step.Result, error) {
	now := clock(req.Env)()
	if ew, ok, err := h.eventMode(req); err != nil || ok {
		if err != nil {
			return step.Result{}, err
		}
		return ew.run(ctx, req, now)
	}
	if req.State != nil {
		var st waitState
		if err := json.Unmarshal(req.State, &st); err != nil || st.Until.IsZero() {
			return step.Result{}, fmt.Errorf("wait: reading saved state: invalid deadline in %s", req.State)
		}
		return waitUntil(now, st.Until), nil
	}
	deadline, err := h.deadline(req, now)
	if err != nil {
		return step.Result{}, err
	}
	return waitUntil(now, deadline), nil
}

// waitUntil finishes once now has reached until, else suspends to until.
func waitUntil(now, until time.Time) step.Result {
	if !now.Before(until) {
		return step.Result{Output: map[string]any{"waited_until": until.UTC().Format(time.RFC3339Nano)}}
	}
	return step.Result{Suspend: &step.Suspend{Until: until, State: waitState{Until: until.UTC()}}}
}

func (h wait) deadline(req *step.Request, now time.Time) (time.Time, error) {
	in := input.New(&h.spec, req.With)
	hasFor, hasUntil := in.Has("for"), in.Has("until")
	switch {
	case hasFor && hasUntil:
		return time.Time{}, step.Errorf(input.CodeValidation, "wait: give either `for` or `until`, not both")
	case hasFor:
		d, err := in.Duration("for")
		if err != nil {
			return time.Time{}, err
		}
		return now.Add(d), nil
	case hasUntil:
		v, _, _ := in.Value("until")
		switch u := v.(type) {
		case time.Time:
			return u, nil
		case string:
			t, err := time.Parse(time.RFC3339Nano, u)
			if err != nil {
				return time.Time{}, input.Invalid("until", "must be an RFC 3339 time like 2026-01-31T09:00:00Z")
			}
			return t, nil
		}
		return time.Time{}, input.Invalid("until", "must be an RFC 3339 time string or a time value")
	}
	return time.Time{}, step.Errorf(input.CodeValidation, "wait: give `for` (like 10m), `until` (an RFC 3339 time), `event` (an event name) or `resume: true`")
}

// clock returns env's clock, or the wall clock where the engine lent none.
func clock(env *step.Env) func() time.Time {
	if env != nil && env.Now != nil {
		return env.Now
	}
	return time.Now
}
