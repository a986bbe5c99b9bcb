package core

import (
	"context"

	"github.com/weftworks/weft/step"
)

var _ step.Handler = transform{}

func transformSpec() step.Spec {
	return step.Spec{
		Type:     "transform",
		Title:    "Transform",
		Category: step.CategoryCore,
		Description: "Builds a new value from the trigger and earlier steps. Every key under `with:` is " +
			"evaluated as an expression and the resulting object becomes the step's output, so later " +
			"steps can read `steps.<id>.output.<key>`. It has no side effects and no declared fields: " +
			"any key is allowed.",
		Pure:       true,
		AllowExtra: true,
		Output:     "The evaluated `with:` object, key for key (an empty object when `with:` is absent).",
		Example: `- id: order
  uses: transform
  with:
    id: "{{ trigger.body.id }}"
    total_cents: "{{ trigger.body.amount * 100 }}"
    customer: "{{ trigger.body.customer.email }}"
`,
	}
}

// transform returns its evaluated inputs; the engine did the work.
type transform struct{}

func (transform) Run(_ context.Context, req *step.Request) (step.Result, error) {
	if req.With == nil {
		return step.Result{Output: map[string]any{}}, nil
	}
	return step.Result{Output: req.With}, nil
}
