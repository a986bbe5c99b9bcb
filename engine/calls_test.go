package engine_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/engine"
	"github.com/weftworks/weft/step"
	"github.com/weftworks/weft/store"
)

// TestWorkflowCallHoldsNoSlot: with two slots and more parents than slots,
// every parent and child finishes. A parent waiting in place for its child
// would hold the slot the child needs.
func TestWorkflowCallHoldsNoSlot(t *testing.T) {
	t.Parallel()
	b := setup(t, func(c *engine.Config) { c.MaxRunning = 2; c.InlineWait = 5 * time.Second })
	b.put(t, `
name: child
steps:
  - id: double
    uses: transform
    with: { result: "{{ trigger.n * 2 }}" }
`)
	b.put(t, `
name: parent
steps:
  - id: call
    uses: workflow.call
    with: { workflow: child, input: { n: "{{ trigger.n }}" } }
`)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	const n = 8
	ids := make([]string, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			st, err := b.eng.Start(ctx, engine.StartRequest{Workflow: "parent", Input: json.RawMessage(fmt.Sprintf(`{"n": %d}`, i))})
			if err != nil {
				t.Error(err)
				return
			}
			ids[i] = st.Execution.ID
		}()
	}
	wg.Wait()
	for i, id := range ids {
		ex, err := b.eng.Wait(ctx, id)
		if err != nil {
			t.Fatalf("parent %d (%s) not finished: %v (status %s)", i, id, err, ex.Status)
		}
		if ex.Status != weft.ExecutionSucceeded {
			t.Fatalf("parent %d: %s %+v", i, ex.Status, ex.Error)
		}
		if got := decode(t, ex.Output).(map[string]any)["result"]; got != float64(2*i) {
			t.Fatalf("parent %d got %v, want %d", i, got, 2*i)
		}
	}
}

// TestWorkflowCallDepthLimit: a workflow that calls itself stops at the
// depth limit with an error naming the limit, the chain and the flag.
func TestWorkflowCallDepthLimit(t *testing.T) {
	t.Parallel()
	b := setup(t, func(c *engine.Config) { c.MaxCallDepth = 3 })
	b.put(t, `
name: self
steps:
  - id: again
    uses: workflow.call
    with: { workflow: self }
`)
	ex, steps := b.run(t, "self", `{}`)
	if ex.Status != weft.ExecutionFailed {
		t.Fatalf("status %s, want failed", ex.Status)
	}
	if ex.Error == nil || !strings.Contains(ex.Error.Message, "nested call depth limit 3") {
		t.Fatalf("top-level error = %+v, want the depth limit passed up the chain", ex.Error)
	}
	all, _, err := b.store.ListExecutions(context.Background(), store.ExecutionFilter{Workflow: "self", Page: store.Page{Limit: 100}})
	if err != nil {
		t.Fatal(err)
	}
	// Depths 0..3 run; the one at depth 3 is refused a child.
	if len(all) != 4 {
		t.Fatalf("%d executions of self, want 4 (depths 0 to 3)", len(all))
	}
	deepest := all[0] // newest first
	runs := b.steps(t, deepest.ID)
	got := runs["again"]
	if got.Error == nil || got.Error.Code != "call_depth" {
		t.Fatalf("deepest call step error = %+v, want code call_depth", got.Error)
	}
	for _, want := range []string{"depth limit 3", "self → self → self → self → self", "--max-call-depth", "WEFT_MAX_CALL_DEPTH"} {
		if !strings.Contains(got.Error.Message, want) {
			t.Errorf("error %q does not say %q", got.Error.Message, want)
		}
	}
	if steps["again"].Status != weft.StepFailed {
		t.Fatalf("top-level call step %s, want failed", steps["again"].Status)
	}
}

// TestWorkflowCallRecordsTheActualWait: a parent woken by its child's end
// records the pause it really had, not the 30 s fallback re-check it chose
// when it suspended (the console shows "waited …" from this entry).
func TestWorkflowCallRecordsTheActualWait(t *testing.T) {
	t.Parallel()
	b := setup(t)
	// The child waits, so the parent has suspended (with the fallback
	// wake-up) before the child ends.
	b.put(t, `
name: slow-child
steps:
  - id: pause
    uses: wait
    with: { for: 300ms }
  - id: done
    needs: [pause]
    uses: transform
    with: { ok: true }
`)
	b.put(t, `
name: waiting-parent
steps:
  - id: call
    uses: workflow.call
    with: { workflow: slow-child }
`)
	ex, steps := b.run(t, "waiting-parent", `{}`)
	if ex.Status != weft.ExecutionSucceeded {
		t.Fatalf("parent %s %+v", ex.Status, ex.Error)
	}
	h := steps["call"].History
	var waited *weft.Attempt
	for i := range h {
		if h[i].Reason == "child" && h[i].Wait > 0 {
			waited = &h[i]
			if i+1 >= len(h) {
				t.Fatalf("history %+v: the wait for the child is the last entry", h)
			}
			// The next attempt ended after it started: the recorded wait
			// cannot be longer than the gap between the two entries.
			if gap := h[i+1].At.Sub(h[i].At); waited.Wait.D() > gap {
				t.Fatalf("history %+v: recorded wait %s is longer than the %s until the next attempt ended", h, waited.Wait.D(), gap)
			}
		}
	}
	if waited == nil {
		t.Fatalf("history %+v: no wait for the child recorded", h)
	}
}

// TestWakeKeepsRetryBackoff: a wake-up of the execution (here another
// step's child ending) makes due the RunOnWake steps that wait for a wake,
// not one waiting out a retry backoff: that one runs again when its backoff
// ends, as any step does.
func TestWakeKeepsRetryBackoff(t *testing.T) {
	t.Parallel()
	b := setup(t)
	var calls atomic.Int32
	b.reg.MustAdd(step.Spec{Type: "test.flaky-on-wake", Title: "flaky", Category: step.CategoryCore, RunOnWake: true},
		step.HandlerFunc(func(ctx context.Context, req *step.Request) (step.Result, error) {
			if calls.Add(1) == 1 {
				return step.Result{}, step.Retryable(errors.New("temporary"), 0)
			}
			return step.Result{Output: map[string]any{"ok": true}}, nil
		}))
	b.put(t, `
name: quick-child
steps:
  - id: pause
    uses: wait
    with: { for: 300ms }
`)
	b.put(t, `
name: backoff-parent
steps:
  - id: flaky
    uses: test.flaky-on-wake
    retry: { max_attempts: 2, backoff: fixed, initial: 3s }
  - id: call
    needs: []
    uses: workflow.call
    with: { workflow: quick-child }
`)
	ex, steps := b.run(t, "backoff-parent", `{}`)
	if ex.Status != weft.ExecutionSucceeded {
		t.Fatalf("parent %s %+v", ex.Status, ex.Error)
	}
	h := steps["flaky"].History
	if len(h) != 2 || h[0].Outcome != "retry" || h[1].Outcome != "succeeded" {
		t.Fatalf("flaky history %+v, want a retry then a success", h)
	}
	// The recorded wait is the pause the step really had before its next
	// attempt: shorter than the backoff when the child's end ran it early.
	if h[0].Wait.D() != 3*time.Second {
		t.Fatalf("flaky waited %s before its second attempt, want its whole 3s backoff (history %+v)", h[0].Wait.D(), h)
	}
	if c := steps["call"].History; len(c) == 0 || c[len(c)-1].Outcome != "succeeded" {
		t.Fatalf("call history %+v", c)
	}
}
