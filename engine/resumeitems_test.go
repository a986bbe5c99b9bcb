package engine_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/events"
	"github.com/weftworks/weft/store"
)

// TestResumeURLsForEach: a resume wait inside for_each gives each item its
// own URL (execution.resume_urls.<step> is a list), each call resumes its
// own item once, and an item resumed leaves the others waiting.
func TestResumeURLsForEach(t *testing.T) {
	t.Parallel()
	b, svc := withEvents(t, events.Limits{})
	b.put(t, `
name: fan
steps:
  - id: send
    uses: transform
    with: { urls: "{{ execution.resume_urls.cb }}" }
  - id: cb
    uses: wait
    for_each: "{{ trigger.items }}"
    with: { resume: true, timeout: 1h }
`)
	id := start(t, b, "fan", `{"items":["a","b","c"]}`)
	waitItem(t, b, id, "cb", 2)
	var sent struct{ URLs []string }
	if err := json.Unmarshal(b.steps(t, id)["send"].Output, &sent); err != nil {
		t.Fatal(err)
	}
	if len(sent.URLs) != 3 {
		t.Fatalf("resume_urls.cb = %v, want 3 URLs", sent.URLs)
	}
	tokens := map[string]bool{}
	for _, u := range sent.URLs {
		tokens[strings.TrimPrefix(u, "http://weft.test/hooks/resume/")] = true
	}
	if len(tokens) != 3 {
		t.Fatalf("the items share URLs: %v", sent.URLs)
	}
	ctx := context.Background()
	for _, i := range []int{2, 0, 1} {
		tok := strings.TrimPrefix(sent.URLs[i], "http://weft.test/hooks/resume/")
		got, err := svc.Resume(ctx, tok, json.RawMessage(`{"item":`+string(rune('0'+i))+`}`))
		if err != nil || got.Item != i || got.StepID != "cb" {
			t.Fatalf("resume item %d: %+v, %v", i, got, err)
		}
		if _, err := svc.Resume(ctx, tok, json.RawMessage(`{}`)); !errors.Is(err, events.ErrUsed) {
			t.Fatalf("second call of item %d's URL: %v, want ErrUsed", i, err)
		}
		if i == 2 {
			// Item 2 resumed; items 0 and 1 still wait for their own calls.
			waitItemDone(t, b, id, "cb", 2)
			if ex, _ := b.store.GetExecution(ctx, id); ex.Status.Finished() {
				t.Fatalf("one call finished the execution: %s", ex.Status)
			}
		}
	}
	ex := finished(t, b, id)
	if ex.Status != weft.ExecutionSucceeded || string(ex.Output) != `[{"item":0},{"item":1},{"item":2}]` {
		t.Fatalf("execution = %s %s %+v", ex.Status, ex.Output, ex.Error)
	}
}

// TestApprovalForEachItems: each item of a for_each approval is its own
// request in the inbox and is decided on its own.
func TestApprovalForEachItems(t *testing.T) {
	t.Parallel()
	b, svc := withEvents(t, events.Limits{})
	b.put(t, `
name: asks
steps:
  - id: ok
    uses: approval
    for_each: "{{ trigger.items }}"
    with: { message: "refund {{ item }}?" }
`)
	id := start(t, b, "asks", `{"items":[10,20]}`)
	ctx := context.Background()
	var list []events.Approval
	deadline := time.Now().Add(10 * time.Second)
	for len(list) < 2 && time.Now().Before(deadline) {
		list, _, _ = svc.Approvals(ctx, store.Page{})
		time.Sleep(20 * time.Millisecond)
	}
	if len(list) != 2 || list[0].Item == list[1].Item {
		t.Fatalf("approvals = %+v, want one per item", list)
	}
	for _, item := range []int{1, 0} {
		d := "approve"
		if item == 1 {
			d = "reject"
		}
		if _, err := svc.Decide(ctx, id, "ok", item, events.Decision{Decision: d, By: "admin"}); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Decide(ctx, id, "ok", item, events.Decision{Decision: "approve", By: "admin"}); !errors.Is(err, events.ErrUsed) {
			t.Fatalf("second decision of item %d: %v, want ErrUsed", item, err)
		}
	}
	ex := finished(t, b, id)
	var out []map[string]any
	_ = json.Unmarshal(ex.Output, &out)
	if ex.Status != weft.ExecutionSucceeded || len(out) != 2 || out[0]["approved"] != true || out[1]["approved"] != false {
		t.Fatalf("execution = %s %s %+v", ex.Status, ex.Output, ex.Error)
	}
}

// waitItem polls until one item of a for_each step waits (its row exists).
func waitItem(t *testing.T, b *testBundle, id, stepID string, item int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if _, err := b.store.GetEventWait(context.Background(), id, stepID, item); err == nil {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("item %d of step %q of %s never started waiting", item, stepID, id)
}

// waitItemDone polls until one item of a for_each step succeeded.
func waitItemDone(t *testing.T, b *testBundle, id, stepID string, item int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		runs, err := b.store.GetStepRuns(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range runs {
			if r.StepID == stepID && r.Item == item && r.Status == weft.StepSucceeded {
				return
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("item %d of step %q never finished", item, stepID)
}

// TestApprovalDecidedTwiceAfterTheEnd: repeating a decision after the
// execution has finished says "decided already" (409), not "gone".
func TestApprovalDecidedTwiceAfterTheEnd(t *testing.T) {
	t.Parallel()
	b, svc := withEvents(t, events.Limits{})
	b.put(t, `
name: ask
steps:
  - id: ok
    uses: approval
    with: { message: "ok?" }
`)
	id := start(t, b, "ask", `{}`)
	waitStep(t, b, id, "ok")
	ctx := context.Background()
	deadline := time.Now().Add(10 * time.Second)
	for {
		if _, err := b.store.GetEventWait(ctx, id, "ok", weft.WholeStep); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the approval never waited")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if _, err := svc.Decide(ctx, id, "ok", weft.WholeStep, events.Decision{Decision: "approve", By: "admin"}); err != nil {
		t.Fatal(err)
	}
	if ex := finished(t, b, id); ex.Status != weft.ExecutionSucceeded {
		t.Fatalf("execution = %s %+v", ex.Status, ex.Error)
	}
	if _, err := svc.Decide(ctx, id, "ok", weft.WholeStep, events.Decision{Decision: "reject", By: "admin"}); !errors.Is(err, events.ErrUsed) {
		t.Fatalf("deciding again after the end: %v, want ErrUsed", err)
	}
}

// TestResumeURLCalledTwiceAfterTheEnd: calling a resume URL again after its
// call ended the execution says "used" (409), not "gone" (410): the caller
// repeated itself, and the answer must not depend on how fast the
// execution finished in between. An unused URL of an ended execution is
// gone.
func TestResumeURLCalledTwiceAfterTheEnd(t *testing.T) {
	t.Parallel()
	b, svc := withEvents(t, events.Limits{})
	b.put(t, `
name: hook
steps:
  - id: send
    uses: transform
    with: { url: "{{ execution.resume_urls.cb }}" }
  - id: cb
    uses: wait
    with: { resume: true, timeout: 1h }
`)
	id := start(t, b, "hook", `{}`)
	waitStep(t, b, id, "cb")
	var sent struct{ URL string }
	if err := json.Unmarshal(b.steps(t, id)["send"].Output, &sent); err != nil {
		t.Fatal(err)
	}
	tok := strings.TrimPrefix(sent.URL, "http://weft.test/hooks/resume/")
	if tok == "" || tok == sent.URL {
		t.Fatalf("resume_urls.cb = %q", sent.URL)
	}
	ctx := context.Background()
	if _, err := svc.Resume(ctx, tok, json.RawMessage(`{"n":1}`)); err != nil {
		t.Fatal(err)
	}
	if ex := finished(t, b, id); ex.Status != weft.ExecutionSucceeded {
		t.Fatalf("execution = %s %+v", ex.Status, ex.Error)
	}
	if _, err := svc.Resume(ctx, tok, json.RawMessage(`{"n":2}`)); !errors.Is(err, events.ErrUsed) {
		t.Fatalf("calling the URL again after the end: %v, want ErrUsed", err)
	}

	// A URL whose step never took a call, of an execution that ended
	// otherwise (canceled), is gone (410).
	id = start(t, b, "hook", `{}`)
	waitStep(t, b, id, "cb")
	if err := json.Unmarshal(b.steps(t, id)["send"].Output, &sent); err != nil {
		t.Fatal(err)
	}
	if _, err := b.eng.Cancel(ctx, id); err != nil {
		t.Fatal(err)
	}
	if ex := finished(t, b, id); ex.Status != weft.ExecutionCanceled {
		t.Fatalf("execution = %s", ex.Status)
	}
	tok = strings.TrimPrefix(sent.URL, "http://weft.test/hooks/resume/")
	if _, err := svc.Resume(ctx, tok, json.RawMessage(`{"n":3}`)); !errors.Is(err, events.ErrGone) {
		t.Fatalf("calling the URL of a canceled execution: %v, want ErrGone", err)
	}
}
