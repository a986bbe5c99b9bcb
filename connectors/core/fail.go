package core

import (
	"context"
	"errors"
	"regexp"

	"github.com/weftworks/weft/connectors/internal/input"
	"github.com/weftworks/weft/step"
)

var _ step.Handler = fail{}

// errorCode is the shape of a user-chosen error code: it ends up in
// ErrorInfo.Code, which on_error workflows and API clients match on.
var errorCode = regexp.MustCompile(`^[a-z][a-z0-9_.-]{0,63}$`)

func failSpec() step.Spec {
	return step.Spec{
		Type:     "fail",
		Title:    "Fail",
		Category: step.CategoryCore,
		Description: "Stops the workflow with an error. Use it after an `if:` to reject bad input or " +
			"an unexpected answer. The error is not retried; the workflow's `on_error` handler, if " +
			"any, receives the code and the message.",
		Pure: true,
		Fields: []step.Field{
			{Name: "message", Type: step.String, Required: true, Example: "order has no items",
				Description: "What went wrong, for the people reading the execution."},
			{Name: "code", Type: step.String, Default: "failed", Example: "invalid_order",
				Description: "Stable machine-readable error code: lower case letters, digits, _ . and -."},
		},
		Output: "None: the step always fails with `{code, message}` recorded as the step's error.",
		Example: `- id: reject
  uses: fail
  if: "{{ len(trigger.body.items) == 0 }}"
  with:
    code: empty_order
    message: "order {{ trigger.body.id }} has no items"
`,
	}
}

// fail turns its inputs into a non-retryable error.
type fail struct{ spec step.Spec }

func (h fail) Run(_ context.Context, req *step.Request) (step.Result, error) {
	in := input.New(&h.spec, req.With)
	msg, err := in.String("message")
	if err != nil {
		return step.Result{}, err
	}
	code, err := in.String("code")
	if err != nil {
		return step.Result{}, err
	}
	if !errorCode.MatchString(code) {
		return step.Result{}, input.Invalid("code", "must be lower case letters, digits, _ . or - (up to 64), starting with a letter")
	}
	return step.Result{}, &step.CodedError{Code: code, Err: errors.New(msg)}
}
