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
		Description: "Pauses the workflow for a duration (`for`) or until a moment (`until`); give exactly one. " +
			"The wait is durable: no worker is held while waiting, and the deadline is fixed when the step " +
			"first runs, so a restart or a takeover by another process does not make the wait longer. " +
			"A moment already past finishes at once.",
		Fields: []step.Field{
			{Name: "for", Type: step.Duration, Example: "10m",
				Description: "How long to wait, like 30s, 10m, 2h or 7d."},
			{Name: "until", Type: step.String, Example: "2026-01-31T09:00:00Z",
				Description: "When to go on: an RFC 3339 time with a zone (2026-01-31T09:00:00+01:00), or a time value from an expression."},
		},
		Output: "`{waited_until}`: the deadline that was waited for, as an RFC 3339 time in UTC.",
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

func (h wait) Run(_ context.Context, req *step.Request) (step.Result, error) {
	now := clock(req.Env)()
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
	return time.Time{}, step.Errorf(input.CodeValidation, "wait: give `for` (like 10m) or `until` (an RFC 3339 time)")
}

// clock returns env's clock, or the wall clock where the engine lent none.
func clock(env *step.Env) func() time.Time {
	if env != nil && env.Now != nil {
		return env.Now
	}
	return time.Now
}
