package engine_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/engine"
	"github.com/weftworks/weft/step"
	"github.com/weftworks/weft/store"
)

// crashedExecution stores an execution as a process leaves it when it dies
// during step "call": running, its lease expired, the attempt recorded as
// started, with `before` earlier interruptions in the step's history.
func crashedExecution(t *testing.T, b *testBundle, before int) string {
	t.Helper()
	now := time.Now().UTC()
	past := now.Add(-time.Minute)
	ex := weft.Execution{ID: engine.NewID(now), Workflow: "crashy", WorkflowVersion: 1, Status: weft.ExecutionRunning,
		Trigger: weft.TriggerManual, Input: json.RawMessage(`{}`), CreatedAt: past, StartedAt: &past,
		LeaseOwner: "dead-process", LeaseUntil: &past}
	run := weft.StepRun{ExecutionID: ex.ID, StepID: "call", Item: weft.WholeStep, Type: "http.request",
		Status: weft.StepRunning, Attempts: before + 1, StartedAt: &past}
	for i := range before {
		run.History = append(run.History, weft.Attempt{Attempt: i + 1, At: past, Outcome: "interrupted"})
	}
	if _, err := b.store.Apply(context.Background(), store.Mutation{Create: &ex, ExecutionID: ex.ID, StepRuns: []weft.StepRun{run}}); err != nil {
		t.Fatal(err)
	}
	b.eng.Kick()
	return ex.ID
}

func crashyWorkflow(url string) string {
	return `
name: crashy
steps:
  - id: call
    uses: http.request
    with: { method: POST, url: "` + url + `" }
`
}

// TestCrashQuarantine: an execution whose step was started by processes
// that died QuarantineAfter times fails with a quarantine error and the step
// does not run again; below the limit it runs again, and the interruption is
// in the step's history.
func TestCrashQuarantine(t *testing.T) {
	t.Parallel()
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{}`))
	}))
	defer srv.Close()
	b := setup(t, func(c *engine.Config) { c.QuarantineAfter = 3 })
	b.put(t, crashyWorkflow(srv.URL))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	// The third crash in the same step: quarantined, not called again.
	id := crashedExecution(t, b, 2)
	ex, err := b.eng.Wait(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if ex.Status != weft.ExecutionFailed || ex.Error == nil || ex.Error.Code != "quarantined" {
		t.Fatalf("after 3 crashes: %s %+v, want failed with code quarantined", ex.Status, ex.Error)
	}
	for _, want := range []string{`quarantined: step "call" crashed the process 3 times`, "--quarantine-after", "WEFT_QUARANTINE_AFTER"} {
		if !strings.Contains(ex.Error.Message, want) {
			t.Errorf("error %q does not say %q", ex.Error.Message, want)
		}
	}
	if n := calls.Load(); n != 0 {
		t.Fatalf("the quarantined step was called %d times", n)
	}

	// The second crash: the step runs again and its history says why.
	id = crashedExecution(t, b, 1)
	ex, err = b.eng.Wait(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if ex.Status != weft.ExecutionSucceeded {
		t.Fatalf("after 2 crashes: %s %+v, want succeeded", ex.Status, ex.Error)
	}
	if n := calls.Load(); n != 1 {
		t.Fatalf("step called %d times after its second crash, want 1", n)
	}
	run := b.steps(t, id)["call"]
	interrupted := 0
	for _, a := range run.History {
		if a.Outcome == "interrupted" {
			interrupted++
		}
	}
	if interrupted != 2 {
		t.Fatalf("history %+v: %d interruptions, want 2", run.History, interrupted)
	}
}

// TestRecoveredExecutionRecordsPureStepsFirst: pure steps are normally
// recorded with the next durable write (ADR 0001), so a pure step that kills
// the process would leave no trace. In an execution taken over after a crash
// each pure attempt is on disk as running before it runs.
func TestRecoveredExecutionRecordsPureStepsFirst(t *testing.T) {
	t.Parallel()
	b := setup(t)
	seen := make(chan weft.StepStatus, 4)
	b.reg.MustAdd(step.Spec{Type: "test.probe", Title: "probe", Category: step.CategoryCore, Pure: true},
		step.HandlerFunc(func(ctx context.Context, req *step.Request) (step.Result, error) {
			runs, err := b.store.GetStepRuns(ctx, req.ExecutionID)
			if err != nil {
				return step.Result{}, err
			}
			st := weft.StepStatus("absent")
			for _, r := range runs {
				if r.StepID == req.StepID {
					st = r.Status
				}
			}
			seen <- st
			return step.Result{Output: map[string]any{}}, nil
		}))
	b.put(t, `
name: crashy
steps:
  - id: call
    uses: test.probe
  - id: next
    uses: test.probe
`)
	id := crashedExecution(t, b, 0)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	ex, err := b.eng.Wait(ctx, id)
	if err != nil || ex.Status != weft.ExecutionSucceeded {
		t.Fatalf("%s %+v %v", ex.Status, ex.Error, err)
	}
	for _, stepID := range []string{"call", "next"} {
		if st := <-seen; st != weft.StepRunning {
			t.Errorf("step %s ran while stored as %q; want running (recorded before it ran)", stepID, st)
		}
	}
}
