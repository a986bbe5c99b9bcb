package engine_test

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/engine"
)

// Executions of one workflow running at once each see only their own
// trigger, execution and step outputs: nothing an attempt allocates or an
// evaluation builds (requests, loggers, scopes, the expression environment,
// encoded inputs and outputs) carries one execution's values into another.
// Half the executions hand the engine their decoded input, as the webhook
// handler does, half only the JSON.
func TestConcurrentExecutionsKeepTheirOwnValues(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.put(t, `
name: echo
steps:
  - id: compute
    uses: transform
    with:
      customer: "{{ trigger.customer }}"
      text_upper: "{{ upper(trigger.text) }}"
      amount_doubled: "{{ trigger.amount * 2 }}"
      id: "{{ execution.id }}"
      workflow: "{{ workflow.name }}"
  - id: reply
    uses: respond
    with:
      status: 200
      body: "{{ steps.compute.output }}"
`)
	const callers, each = 16, 8
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var wg sync.WaitGroup
	errs := make(chan error, callers*each)
	for c := range callers {
		wg.Go(func() {
			for i := range each {
				n := c*each + i
				if err := runEcho(ctx, b.eng, n); err != nil {
					errs <- err
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// runEcho runs execution n of the echo workflow and checks its response and
// stored output against its own input.
func runEcho(ctx context.Context, eng *engine.Engine, n int) error {
	input := fmt.Sprintf(`{"customer":"c%d","text":"text %d","amount":%d}`, n, n, n)
	req := engine.StartRequest{Workflow: "echo", Input: json.RawMessage(input), Respond: true}
	if n%2 == 0 {
		var v any
		if err := json.Unmarshal(req.Input, &v); err != nil {
			return err
		}
		req.InputValue = v
	}
	st, err := eng.Start(ctx, req)
	if err != nil {
		return fmt.Errorf("execution %d: %w", n, err)
	}
	want := map[string]any{"customer": fmt.Sprintf("c%d", n), "text_upper": fmt.Sprintf("TEXT %d", n),
		"amount_doubled": float64(2 * n), "id": st.Execution.ID, "workflow": "echo"}
	var resp json.RawMessage
	select {
	case resp = <-st.Response:
	case <-ctx.Done():
		return fmt.Errorf("execution %d: no response", n)
	}
	var got struct {
		Status float64        `json:"status"`
		Body   map[string]any `json:"body"`
	}
	if err := json.Unmarshal(resp, &got); err != nil {
		return fmt.Errorf("execution %d: response %s: %w", n, resp, err)
	}
	if got.Status != 200 || fmt.Sprint(got.Body) != fmt.Sprint(want) {
		return fmt.Errorf("execution %d: response %s, want body %v", n, resp, want)
	}
	ex, err := eng.Wait(ctx, st.Execution.ID)
	if err != nil {
		return fmt.Errorf("execution %d: %w", n, err)
	}
	var out map[string]any
	if err := json.Unmarshal(ex.Output, &out); err != nil || ex.Status != weft.ExecutionSucceeded {
		return fmt.Errorf("execution %d: %s, output %s (%v)", n, ex.Status, ex.Output, err)
	}
	if fmt.Sprint(out["body"]) != fmt.Sprint(want) {
		return fmt.Errorf("execution %d: stored output %s, want body %v", n, ex.Output, want)
	}
	return nil
}
