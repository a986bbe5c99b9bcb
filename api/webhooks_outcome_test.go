package api

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/engine"
	"github.com/weftworks/weft/store"
)

// An accepted delivery whose workflow then failed says so in the log.
func TestDeliveriesCarryExecutionOutcome(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	doc := "name: boom\nsteps:\n  - id: x\n    uses: fail\n    with: { message: nope }\n"
	if _, _, err := b.store.PutWorkflow(ctx, weft.WorkflowRecord{Name: "boom", Source: doc, Enabled: true, WebhookPath: "boom"}); err != nil {
		t.Fatal(err)
	}
	started, err := b.engine.Start(ctx, engine.StartRequest{Workflow: "boom", Input: json.RawMessage(`{}`), Trigger: weft.TriggerWebhook})
	if err != nil {
		t.Fatal(err)
	}
	wctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	if ex, err := b.engine.Wait(wctx, started.Execution.ID); err != nil || ex.Status != weft.ExecutionFailed {
		t.Fatalf("execution: %v %v", ex.Status, err)
	}
	now := time.Now()
	if err := b.store.RecordDeliveries(ctx, []store.WebhookDelivery{
		{ID: "A1", Workflow: "boom", Path: "boom", ReceivedAt: now, Method: "POST", Status: 202, Outcome: store.OutcomeAccepted, ExecutionID: started.Execution.ID},
		{ID: "A2", Workflow: "boom", Path: "boom", ReceivedAt: now, Method: "POST", Status: 202, Outcome: store.OutcomeAccepted, ExecutionID: "pruned"},
		{ID: "R1", Workflow: "boom", Path: "boom", ReceivedAt: now, Method: "POST", Status: 401, Outcome: store.OutcomeRejected},
	}); err != nil {
		t.Fatal(err)
	}
	res := b.get(t, "/api/v1/webhooks/deliveries?workflow=boom")
	var page struct {
		Items []deliveryItem `json:"items"`
	}
	if err := json.Unmarshal(res.body, &page); err != nil || res.status != 200 {
		t.Fatalf("%d %s", res.status, res.body)
	}
	got := map[string]deliveryItem{}
	for _, d := range page.Items {
		got[d.ID] = d
	}
	if d := got["A1"]; d.ExecutionStatus != weft.ExecutionFailed || d.ExecutionError == nil {
		t.Fatalf("accepted then failed: %+v", d)
	}
	if got["A2"].ExecutionStatus != "" || got["R1"].ExecutionStatus != "" {
		t.Fatalf("no execution, no status: %+v %+v", got["A2"], got["R1"])
	}
}
