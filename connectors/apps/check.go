package apps

import (
	"context"
	"fmt"

	"github.com/weftworks/weft/step"
)

// CheckConnection makes the app's test-connection call through connection
// (with the connection's base URL, credential and limits, like any
// operation) and returns nil when it succeeds. reg must hold http.request.
func CheckConnection(ctx context.Context, reg *step.Registry, a *App, workflow, connection string, env *step.Env) error {
	h, ok := reg.Lookup("http.request")
	if !ok {
		return fmt.Errorf("checking connection %q: http.request is not registered", connection)
	}
	method := a.Test.Method
	if method == "" {
		method = "GET"
	}
	op := &Operation{ID: "test_connection", Title: "Test the connection", Method: method, Path: a.Test.Path, Idempotency: &Idempotency{Safe: true}}
	o := &operation{app: a, op: op, http: h.Handler}
	o.spec = a.StepSpec(op)
	req := &step.Request{Workflow: workflow, Type: o.spec.Type, With: map[string]any{"connection": connection, "timeout": "10s"}, Attempt: 1, Env: env}
	res, err := o.Run(ctx, req)
	if err != nil {
		return err
	}
	if res.Suspend != nil {
		return fmt.Errorf("checking connection %q: the connection's rate limit is exhausted; try again in a moment", connection)
	}
	return nil
}
