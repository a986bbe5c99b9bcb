package engine

import (
	"context"
	"encoding/json"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/step"
	"github.com/weftworks/weft/store"
)

// children lends steps (workflow.call) the engine's Start and Get.
type children struct{ e *Engine }

var _ step.Workflows = children{}

// Get implements step.Workflows.
func (c children) Get(ctx context.Context, id string) (weft.Execution, error) {
	return c.e.store.GetExecution(ctx, id)
}

// Start implements step.Workflows: idempotent on key, so a workflow.call
// repeated after a crash finds the child it already started.
func (c children) Start(ctx context.Context, name string, input json.RawMessage, parentExecution, parentStep, key string) (string, error) {
	e := c.e
	if err := e.checkCallDepth(ctx, name, parentExecution); err != nil {
		return "", err
	}
	s, err := e.Start(ctx, StartRequest{
		Workflow: name, Input: input, Trigger: weft.TriggerWorkflow,
		ParentID: parentExecution, ParentStep: parentStep,
		Dedupe: &store.DedupeKey{Scope: "workflow.call", Key: key, ExpiresAt: e.cfg.Now().Add(365 * 24 * time.Hour)},
	})
	if err != nil {
		return "", err
	}
	return s.Execution.ID, nil
}

func storeMutation(owner, id string, status *weft.ExecutionStatus, info *weft.ErrorInfo, now time.Time) store.Mutation {
	return store.Mutation{Owner: owner, ExecutionID: id, Patch: &store.ExecutionPatch{
		Status: status, Error: info, FinishedAt: &now, ReleaseLease: true, ClearWake: true}}
}
