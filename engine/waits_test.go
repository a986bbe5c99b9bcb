package engine_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/engine"
	"github.com/weftworks/weft/events"
	"github.com/weftworks/weft/store"
)

// withEvents sets up an engine with the event service, as Wire does.
func withEvents(t *testing.T, limits events.Limits, tweak ...func(*engine.Config)) (*testBundle, *events.Service) {
	t.Helper()
	var b *testBundle
	var svc *events.Service
	b = setup(t, append([]func(*engine.Config){func(c *engine.Config) {
		var err error
		svc, err = events.New(events.Config{Store: c.Store, Secret: []byte("0123456789abcdef0123456789abcdef"), BaseURL: "http://weft.test",
			Limits: limits, Wake: func(ids []string) { b.eng.WakeLocal(ids) }})
		if err != nil {
			t.Fatal(err)
		}
		c.Events = svc
	}}, tweak...)...)
	return b, svc
}

func start(t *testing.T, b *testBundle, name, input string) string {
	t.Helper()
	st, err := b.eng.Start(context.Background(), engine.StartRequest{Workflow: name, Input: json.RawMessage(input)})
	if err != nil {
		t.Fatal(err)
	}
	return st.Execution.ID
}

// waitStatus polls until the step is waiting (its wait row exists).
func waitStep(t *testing.T, b *testBundle, id, stepID string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if _, err := b.store.GetEventWait(context.Background(), id, stepID, weft.WholeStep); err == nil {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("step %q of %s never started waiting", stepID, id)
}

func finished(t *testing.T, b *testBundle, id string) weft.Execution {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	ex, err := b.eng.Wait(ctx, id)
	if err != nil {
		t.Fatalf("execution %s did not finish: %v (status %s)", id, err, ex.Status)
	}
	return ex
}

const paidFlow = `
name: order
steps:
  - id: paid
    uses: wait
    with:
      event: payment.settled
      key: "{{ trigger.order }}"
      match: "{{ event.amount >= trigger.total }}"
      timeout: 1h
  - id: done
    uses: transform
    with: { got: "{{ steps.paid.output.amount }}" }
`

// TestWaitEventCorrelatesAndHoldsNoSlot: with one slot, three executions
// wait for their own order's event at once (parked, not holding the slot);
// each gets the event of its key that its match accepts, not another's.
func TestWaitEventCorrelatesAndHoldsNoSlot(t *testing.T) {
	t.Parallel()
	b, svc := withEvents(t, events.Limits{}, func(c *engine.Config) { c.MaxRunning = 1 })
	b.put(t, paidFlow)
	ctx := context.Background()
	ids := map[string]string{}
	for _, o := range []string{"o1", "o2", "o3"} {
		ids[o] = start(t, b, "order", `{"order":"`+o+`","total":10}`)
	}
	for _, id := range ids {
		waitStep(t, b, id, "paid")
	}
	// Too small: match refuses it, it stays buffered.
	if _, err := svc.Publish(ctx, "payment.settled", "o1", json.RawMessage(`{"amount":5}`)); err != nil {
		t.Fatal(err)
	}
	for i, o := range []string{"o3", "o1", "o2"} {
		if _, err := svc.Publish(ctx, "payment.settled", o, json.RawMessage(fmt.Sprintf(`{"amount":%d}`, 20+i))); err != nil {
			t.Fatal(err)
		}
	}
	want := map[string]float64{"o3": 20, "o1": 21, "o2": 22}
	for o, id := range ids {
		ex := finished(t, b, id)
		if ex.Status != weft.ExecutionSucceeded {
			t.Fatalf("%s: %s %+v", o, ex.Status, ex.Error)
		}
		if got := decode(t, ex.Output).(map[string]any)["got"]; got != want[o] {
			t.Fatalf("%s got amount %v, want %v", o, got, want[o])
		}
	}
	left, err := b.store.PendingEvents(ctx, "payment.settled", "o1", time.Now(), 10)
	if err != nil || len(left) != 1 || string(left[0].Payload) != `{"amount":5}` {
		t.Fatalf("the refused event should stay buffered: %+v, %v", left, err)
	}
	if _, err := b.store.GetEventWait(ctx, ids["o1"], "paid", weft.WholeStep); !errors.Is(err, weft.ErrNotFound) {
		t.Fatalf("the wait row outlived the wait: %v", err)
	}
}

// TestWaitEventBufferedBeforeWait: an event published before the wait
// starts is taken when it does.
func TestWaitEventBufferedBeforeWait(t *testing.T) {
	t.Parallel()
	b, svc := withEvents(t, events.Limits{})
	b.put(t, paidFlow)
	if _, err := svc.Publish(context.Background(), "payment.settled", "o9", json.RawMessage(`{"amount":99}`)); err != nil {
		t.Fatal(err)
	}
	ex := finished(t, b, start(t, b, "order", `{"order":"o9","total":10}`))
	if ex.Status != weft.ExecutionSucceeded || decode(t, ex.Output).(map[string]any)["got"] != 99.0 {
		t.Fatalf("execution = %s %s %+v", ex.Status, ex.Output, ex.Error)
	}
}

// TestResumeURLOnce: the resume URL an earlier step hands out resumes the
// wait once, with the POSTed JSON as output; a second call is refused as
// used while the execution runs, and as gone once it has finished. The
// step after the wait holds the execution open until the second call was
// made, so which of the two refusals it gets does not depend on how fast
// the engine finishes the execution.
func TestResumeURLOnce(t *testing.T) {
	t.Parallel()
	b, svc := withEvents(t, events.Limits{})
	b.put(t, `
name: job
steps:
  - id: submit
    uses: transform
    with: { callback: "{{ execution.resume_url }}" }
  - id: callback
    uses: wait
    with: { resume: true, timeout: 1h }
  - id: hold
    uses: wait
    with: { event: release, key: job, timeout: 1h }
  - id: done
    uses: transform
    with: { result: "{{ steps.callback.output.result }}" }
`)
	id := start(t, b, "job", `{}`)
	waitStep(t, b, id, "callback")
	runs := b.steps(t, id)
	var sub map[string]any
	_ = json.Unmarshal(runs["submit"].Output, &sub)
	url, _ := sub["callback"].(string)
	prefix := "http://weft.test/hooks/resume/"
	if !strings.HasPrefix(url, prefix) {
		t.Fatalf("resume_url = %q", url)
	}
	token := strings.TrimPrefix(url, prefix)
	ctx := context.Background()
	if _, err := svc.Resume(ctx, token[:len(token)-2]+"xx", json.RawMessage(`{}`)); !errors.Is(err, events.ErrBadToken) {
		t.Fatalf("a forged token: %v, want ErrBadToken", err)
	}
	if _, err := svc.Resume(ctx, token, json.RawMessage(`{"result":"done"}`)); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Resume(ctx, token, json.RawMessage(`{"result":"again"}`)); !errors.Is(err, events.ErrUsed) {
		t.Fatalf("second resume: %v, want ErrUsed", err)
	}
	if _, err := svc.Publish(ctx, "release", "job", json.RawMessage(`{}`)); err != nil {
		t.Fatal(err)
	}
	ex := finished(t, b, id)
	if ex.Status != weft.ExecutionSucceeded || string(ex.Output) != `{"result":"done"}` {
		t.Fatalf("execution = %s %s %+v", ex.Status, ex.Output, ex.Error)
	}
	// The URL's step took its call: a repeat after the end is "used" (409),
	// as it was before the end; "gone" (410) is for a URL whose step never
	// took one (TestResumeURLCalledTwiceAfterTheEnd).
	if _, err := svc.Resume(ctx, token, json.RawMessage(`{}`)); !errors.Is(err, events.ErrUsed) {
		t.Fatalf("resume after the end: %v, want ErrUsed", err)
	}
}

// TestWaitEventTimeout: on_timeout continue outputs timed_out, fail fails
// with wait_timeout.
func TestWaitEventTimeout(t *testing.T) {
	t.Parallel()
	b, _ := withEvents(t, events.Limits{})
	b.put(t, `
name: late
steps:
  - id: w
    uses: wait
    with: { event: never, timeout: 300ms, on_timeout: "{{ trigger.mode }}" }
`)
	ex := finished(t, b, start(t, b, "late", `{"mode":"continue"}`))
	if ex.Status != weft.ExecutionSucceeded || string(ex.Output) != `{"timed_out":true}` {
		t.Fatalf("continue: %s %s %+v", ex.Status, ex.Output, ex.Error)
	}
	ex = finished(t, b, start(t, b, "late", `{"mode":"fail"}`))
	if ex.Status != weft.ExecutionFailed || ex.Error == nil || ex.Error.Code != "wait_timeout" {
		t.Fatalf("fail: %s %+v", ex.Status, ex.Error)
	}
}

// TestApprovalDecision: an approval is listed with its message, decided
// once, and the decision (who, when, why) is the step's output.
func TestApprovalDecision(t *testing.T) {
	t.Parallel()
	b, svc := withEvents(t, events.Limits{})
	b.put(t, `
name: refund
steps:
  - id: approve
    uses: approval
    with: { message: "Refund {{ trigger.amount }} EUR?" }
  - id: pay
    if: "{{ steps.approve.output.approved }}"
    uses: transform
    with: { paid: "{{ trigger.amount }}" }
`)
	id := start(t, b, "refund", `{"amount":120}`)
	waitStep(t, b, id, "approve")
	ctx := context.Background()
	list, _, err := svc.Approvals(ctx, store.Page{})
	if err != nil || len(list) != 1 || list[0].ExecutionID != id || !strings.Contains(string(list[0].Info), "Refund 120 EUR?") {
		t.Fatalf("approvals = %+v, %v", list, err)
	}
	if _, err := svc.Decide(ctx, id, "approve", weft.WholeStep, events.Decision{Decision: "maybe"}); !errors.Is(err, weft.ErrInvalid) {
		t.Fatalf("decision maybe: %v", err)
	}
	if _, err := svc.Decide(ctx, id, "approve", weft.WholeStep, events.Decision{Decision: "approve", Comment: "ok, known customer", By: "admin token"}); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Decide(ctx, id, "approve", weft.WholeStep, events.Decision{Decision: "reject", By: "admin token"}); !errors.Is(err, events.ErrUsed) {
		t.Fatalf("second decision: %v, want ErrUsed", err)
	}
	ex := finished(t, b, id)
	if ex.Status != weft.ExecutionSucceeded || string(ex.Output) != `{"paid":120}` {
		t.Fatalf("execution = %s %s %+v", ex.Status, ex.Output, ex.Error)
	}
	var out map[string]any
	_ = json.Unmarshal(b.steps(t, id)["approve"].Output, &out)
	if out["approved"] != true || out["by"] != "admin token" || out["comment"] != "ok, known customer" || out["at"] == "" {
		t.Fatalf("approval output = %v", out)
	}
	if list, _, _ := svc.Approvals(ctx, store.Page{}); len(list) != 0 {
		t.Fatalf("decided approval still listed: %+v", list)
	}
}

// TestEventHostileSizes: oversized payloads, long or odd names and a full
// buffer are refused with errors that say what and how to fix.
func TestEventHostileSizes(t *testing.T) {
	t.Parallel()
	_, svc := withEvents(t, events.Limits{MaxPerKey: 3, MaxPayload: 1024})
	ctx := context.Background()
	big := json.RawMessage(`"` + strings.Repeat("x", 2000) + `"`)
	if _, err := svc.Publish(ctx, "n", "k", big); !errors.Is(err, weft.ErrInvalid) || !strings.Contains(err.Error(), "--event-max-payload") {
		t.Fatalf("big payload: %v", err)
	}
	if _, err := svc.Publish(ctx, strings.Repeat("n", events.MaxNameLen+1), "k", nil); !errors.Is(err, weft.ErrInvalid) {
		t.Fatalf("long name: %v", err)
	}
	if _, err := svc.Publish(ctx, "n", "k\x00", nil); !errors.Is(err, weft.ErrInvalid) {
		t.Fatalf("control character in key: %v", err)
	}
	if _, err := svc.Publish(ctx, "resume", "k", nil); !errors.Is(err, weft.ErrInvalid) {
		t.Fatalf("reserved name: %v", err)
	}
	for i := range 3 {
		if _, err := svc.Publish(ctx, "n", "k", json.RawMessage(fmt.Sprint(i))); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := svc.Publish(ctx, "n", "k", nil); !errors.Is(err, weft.ErrOverloaded) || !strings.Contains(err.Error(), "--event-buffer") {
		t.Fatalf("full buffer: %v", err)
	}
}

func eventsDefaults() events.Limits { return events.Limits{} }

// TestApprovalOfCanceledExecutionLeavesInbox: canceling an execution that
// waits for an approval removes it from the inbox, and deciding it is 410.
func TestApprovalOfCanceledExecutionLeavesInbox(t *testing.T) {
	t.Parallel()
	b, svc := withEvents(t, events.Limits{})
	b.put(t, `
name: ask
steps:
  - id: approve
    uses: approval
    with: { message: "ok?" }
`)
	id := start(t, b, "ask", `{}`)
	waitStep(t, b, id, "approve")
	ctx := context.Background()
	if _, err := b.eng.Cancel(ctx, id); err != nil {
		t.Fatal(err)
	}
	if ex := finished(t, b, id); ex.Status != weft.ExecutionCanceled {
		t.Fatalf("status %s", ex.Status)
	}
	if list, _, err := svc.Approvals(ctx, store.Page{}); err != nil || len(list) != 0 {
		t.Fatalf("approvals after cancel = %+v, %v", list, err)
	}
	// The rows went with the cancel: the inbox does not filter them out.
	if ws, _, err := b.store.ListEventWaits(ctx, "", store.Page{}); err != nil || len(ws) != 0 {
		t.Fatalf("event waits left after cancel = %+v, %v", ws, err)
	}
	if _, err := svc.Decide(ctx, id, "approve", weft.WholeStep, events.Decision{Decision: "approve"}); !errors.Is(err, events.ErrGone) {
		t.Fatalf("deciding a canceled execution: %v, want ErrGone", err)
	}
}
