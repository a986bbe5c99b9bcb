package core

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/connectors/internal/input"
	"github.com/weftworks/weft/step"
)

var _ step.Handler = emit{}

func emitSpec() step.Spec {
	return step.Spec{
		Type:     "event.emit",
		Title:    "Emit event",
		Category: step.CategoryCore,
		Description: "Publishes an event, like POST /api/v1/events: the oldest `wait` step waiting for this name and key " +
			"(whose `match` accepts it) takes it and goes on. An event nobody waits for yet is buffered until one does, " +
			"or until it expires (see docs/events.md for the limits).",
		Fields: []step.Field{
			{Name: "name", Type: step.String, Required: true, Example: "payment.settled",
				Description: "The event's name; `resume` and `approval` are reserved."},
			{Name: "key", Type: step.String, Example: "{{ trigger.body.order_id }}",
				Description: "Correlation key: only waits with the same key see the event."},
			{Name: "payload", Type: step.Any, Example: map[string]any{"order_id": "o_1", "amount": 42},
				Description: "The event's data: the waiting step's output and `event` in its match."},
		},
		Output: "`{id, name, key}` of the published event.",
		Example: `- id: settled
  uses: event.emit
  with:
    name: payment.settled
    key: "{{ trigger.body.order_id }}"
    payload: "{{ trigger.body }}"
`,
	}
}

type emit struct{ spec step.Spec }

func (h emit) Run(ctx context.Context, req *step.Request) (step.Result, error) {
	if req.Env == nil || req.Env.Events == nil {
		return step.Result{}, step.Errorf("not_configured", "event.emit: this process cannot publish events")
	}
	in := input.New(&h.spec, req.With)
	name, err := in.String("name")
	if err != nil {
		return step.Result{}, err
	}
	key := ""
	if in.Has("key") {
		v, _, _ := in.Value("key")
		if key, err = input.Scalar(v); err != nil {
			return step.Result{}, input.Invalid("key", "must be a string or a number: %v", err)
		}
	}
	payload, err := json.Marshal(req.With["payload"])
	if err != nil {
		return step.Result{}, input.Invalid("payload", "cannot be written as JSON: %v", err)
	}
	ev, err := req.Env.Events.Publish(ctx, name, key, payload)
	switch {
	case errors.Is(err, weft.ErrInvalid):
		return step.Result{}, step.Errorf(input.CodeValidation, "event.emit: %v", err)
	case errors.Is(err, weft.ErrOverloaded):
		return step.Result{}, step.Errorf("event_buffer_full", "event.emit: %v", err)
	case err != nil:
		return step.Result{}, step.Retryable(fmt.Errorf("event.emit: publishing %q: %w", name, err), 0)
	}
	return step.Result{Output: map[string]any{"id": ev.ID, "name": ev.Name, "key": ev.Key}}, nil
}
