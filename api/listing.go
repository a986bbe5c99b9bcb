package api

import (
	"context"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/outbound"
	"github.com/weftworks/weft/store"
)

// workflowListItem is a workflow in GET /api/v1/workflows: the record and
// its newest execution, so a list shows "last run" without a second call.
type workflowListItem struct {
	weft.WorkflowRecord
	LastExecution *lastExecution `json:"last_execution,omitempty"`
	// Managed marks a workflow Weft installs and keeps itself (outbound
	// webhook delivery): the console lists it apart, without Delete, so an
	// install with no workflows of its own still looks empty.
	Managed bool `json:"managed,omitempty"`
}

// managedWorkflow reports whether Weft installs and keeps the workflow itself.
func managedWorkflow(name string) bool { return name == outbound.DeliveryWorkflow }

type lastExecution struct {
	ID        string               `json:"id"`
	Status    weft.ExecutionStatus `json:"status"`
	CreatedAt time.Time            `json:"created_at"`
}

// withLastExecutions adds each workflow's newest execution: one indexed
// query per item (executions_workflow), and pages hold at most 500.
func (s *server) withLastExecutions(ctx context.Context, recs []weft.WorkflowRecord) ([]workflowListItem, error) {
	out := make([]workflowListItem, len(recs))
	for i, rec := range recs {
		out[i].WorkflowRecord = rec
		out[i].Managed = managedWorkflow(rec.Name)
		last, _, err := s.store.ListExecutions(ctx, store.ExecutionFilter{Workflow: rec.Name, Page: store.Page{Limit: 1}})
		if err != nil {
			return nil, err
		}
		if len(last) > 0 {
			out[i].LastExecution = &lastExecution{ID: last[0].ID, Status: last[0].Status, CreatedAt: last[0].CreatedAt}
		}
	}
	return out, nil
}

// withPendingSteps appends a pending entry for every step of the execution's
// workflow version that has no step run yet, so a timeline shows the whole
// workflow from the start. A version that no longer parses adds nothing.
func (s *server) withPendingSteps(ctx context.Context, v *executionView) {
	rec, err := s.store.GetWorkflowVersion(ctx, v.Workflow, v.WorkflowVersion)
	if err != nil {
		return
	}
	c, err := s.engine.CompiledRecord(rec)
	if err != nil {
		return
	}
	seen := make(map[string]bool, len(v.Steps))
	for _, r := range v.Steps {
		seen[r.StepID] = true
	}
	for _, st := range c.Workflow.Steps {
		if seen[st.ID] {
			continue
		}
		v.Steps = append(v.Steps, newStepRunView(weft.StepRun{ExecutionID: v.ID, StepID: st.ID, Item: weft.WholeStep, Type: st.Uses, Status: weft.StepPending}))
	}
}
