package cli

import (
	"context"
	"fmt"

	"github.com/weftworks/weft/connectors/standard"
	"github.com/weftworks/weft/step"
	"github.com/weftworks/weft/workflow"
)

// runSchema prints the JSON Schema of workflow files, generated from the Go
// types' rules and the step catalog. docs/workflow.schema.json is its output.
func runSchema(ctx context.Context, env *Env, args []string) error {
	fs := newFlagSet(env, "schema", "schema > workflow.schema.json")
	if _, err := fs.parse(args); err != nil {
		return err
	}
	b, err := workflowSchema()
	if err != nil {
		return err
	}
	_, err = fmt.Fprintln(env.Stdout, string(b))
	return err
}

func workflowSchema() ([]byte, error) {
	reg := step.NewRegistry()
	if err := standard.Register(reg); err != nil {
		return nil, err
	}
	return workflow.JSONSchema(reg)
}
