package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/store"
)

func applyTests() map[string]func(t *testing.T, s store.Store) {
	return map[string]func(t *testing.T, s store.Store){
		"CreateRoundTrip":      testCreateRoundTrip,
		"CreateDuplicateID":    testCreateDuplicateID,
		"PatchNilIsUnchanged":  testPatchNilUnchanged,
		"PatchSetsAndClears":   testPatchSetsAndClears,
		"PatchMissing":         testPatchMissing,
		"StepRunsUpsert":       testStepRunsUpsert,
		"StepRunsOrder":        testStepRunsOrder,
		"LeaseFencing":         testLeaseFencing,
		"Invalid":              testApplyInvalid,
		"CanceledContext":      testApplyCanceledContext,
		"CreateWithPatchSteps": testCreateWithPatchAndSteps,
		"CloseRejectsWrites":   testCloseRejectsWrites,
	}
}

// fullExecution sets every field, with nanoseconds the stores must drop and
// payloads whose bytes (spacing, key order) must survive.
func fullExecution(id string) *weft.Execution {
	return &weft.Execution{
		ID:              id,
		Workflow:        "orders",
		WorkflowVersion: 7,
		Status:          weft.ExecutionRunning,
		Trigger:         weft.TriggerWebhook,
		Input:           json.RawMessage(`{ "z": 1,  "a": [true, null, "ü"] }`),
		Output:          json.RawMessage(`"done"`),
		Error:           &weft.ErrorInfo{Code: "http_500", Message: "upstream failed; retry later"},
		ParentID:        "parent-1",
		ParentStep:      "call",
		CreatedAt:       at(0),
		StartedAt:       new(at(time.Second + 999)),
		FinishedAt:      new(at(2 * time.Second)),
		WakeAt:          new(at(time.Hour)),
		CancelRequested: true,
		LeaseOwner:      "proc-a",
		LeaseUntil:      new(at(time.Minute + 1)),
		Response:        json.RawMessage(`{"status":201}`),
	}
}

func testCreateRoundTrip(t *testing.T, s store.Store) {
	e := fullExecution("exec-full")
	mustCreate(t, s, e)
	got := mustGet(t, s, e.ID)
	equal(t, "round trip", got, stored(*e))
	if got.CreatedAt.Location() != time.UTC || got.LeaseUntil.Location() != time.UTC {
		t.Fatalf("times come back in %v, want UTC", got.CreatedAt.Location())
	}
	if got.CreatedAt.Nanosecond()%1000 != 0 || got.CreatedAt.Nanosecond() != 535897000 {
		t.Fatalf("created_at nanos %d, want 535897000 (microseconds kept)", got.CreatedAt.Nanosecond())
	}

	// A minimal execution: optional fields come back empty, and a zero
	// CreatedAt is filled in by the store.
	minimal := &weft.Execution{ID: "exec-min", Workflow: "orders", Status: weft.ExecutionQueued}
	before := time.Now().Add(-time.Second)
	mustCreate(t, s, minimal)
	gotMin := mustGet(t, s, "exec-min")
	if gotMin.CreatedAt.Before(before) || gotMin.CreatedAt.After(time.Now().Add(time.Second)) {
		t.Fatalf("zero CreatedAt became %v, want about now", gotMin.CreatedAt)
	}
	gotMin.CreatedAt = time.Time{}
	equal(t, "minimal round trip", gotMin, *minimal)
}

func testCreateDuplicateID(t *testing.T, s store.Store) {
	mustCreate(t, s, newExecution("dup", "wf", at(0)))
	other := newExecution("dup", "other", at(time.Second))
	_, err := s.Apply(ctxFor(t), store.Mutation{Create: other, ExecutionID: "dup"})
	wantErr(t, err, weft.ErrConflict, "second create with the same id")
	if got := mustGet(t, s, "dup"); got.Workflow != "wf" {
		t.Fatalf("first execution overwritten: workflow %q", got.Workflow)
	}
}

func testPatchNilUnchanged(t *testing.T, s store.Store) {
	e := fullExecution("exec-nil")
	mustCreate(t, s, e)
	mustApply(t, s, store.Mutation{ExecutionID: e.ID, Patch: &store.ExecutionPatch{}})
	equal(t, "after empty patch", mustGet(t, s, e.ID), stored(*e))
}

func testPatchSetsAndClears(t *testing.T, s store.Store) {
	e := newExecution("exec-patch", "wf", at(0))
	mustCreate(t, s, e)
	want := stored(*e)

	p := &store.ExecutionPatch{
		Status:     new(weft.ExecutionWaiting),
		Output:     json.RawMessage(`[1, 2]`),
		Error:      &weft.ErrorInfo{Code: "c", Message: "m"},
		Response:   json.RawMessage(`{"status":200}`),
		StartedAt:  new(at(time.Second)),
		FinishedAt: new(at(2 * time.Second)),
		WakeAt:     new(at(3 * time.Second)),
		LeaseOwner: "owner-1",
		LeaseUntil: new(at(4 * time.Second)),
	}
	mustApply(t, s, store.Mutation{ExecutionID: e.ID, Patch: p})
	want.Status, want.Output, want.Error, want.Response = weft.ExecutionWaiting, p.Output, p.Error, p.Response
	want.StartedAt, want.FinishedAt, want.WakeAt = utcPtr(p.StartedAt), utcPtr(p.FinishedAt), utcPtr(p.WakeAt)
	want.LeaseOwner, want.LeaseUntil = "owner-1", utcPtr(p.LeaseUntil)
	equal(t, "after setting patch", mustGet(t, s, e.ID), want)

	mustApply(t, s, store.Mutation{ExecutionID: e.ID, Patch: &store.ExecutionPatch{ClearError: true}})
	want.Error = nil
	equal(t, "after ClearError", mustGet(t, s, e.ID), want)

	mustApply(t, s, store.Mutation{ExecutionID: e.ID, Patch: &store.ExecutionPatch{ClearWake: true}})
	want.WakeAt = nil
	equal(t, "after ClearWake", mustGet(t, s, e.ID), want)

	mustApply(t, s, store.Mutation{ExecutionID: e.ID, Owner: "owner-1", Patch: &store.ExecutionPatch{ReleaseLease: true}})
	want.LeaseOwner, want.LeaseUntil = "", nil
	equal(t, "after ReleaseLease", mustGet(t, s, e.ID), want)

	// A new Output replaces the old bytes exactly, even JSON null.
	mustApply(t, s, store.Mutation{ExecutionID: e.ID, Patch: &store.ExecutionPatch{Output: json.RawMessage(`null`)}})
	want.Output = json.RawMessage(`null`)
	equal(t, "after Output null", mustGet(t, s, e.ID), want)
}

func testPatchMissing(t *testing.T, s store.Store) {
	_, err := s.Apply(ctxFor(t), store.Mutation{ExecutionID: "ghost", Patch: &store.ExecutionPatch{Status: new(weft.ExecutionRunning)}})
	wantErr(t, err, weft.ErrNotFound, "patching a missing execution")
	_, err = s.Apply(ctxFor(t), store.Mutation{ExecutionID: "ghost", StepRuns: []weft.StepRun{{StepID: "a", Status: weft.StepRunning}}})
	wantErr(t, err, weft.ErrNotFound, "step run of a missing execution")
	if runs, err := s.GetStepRuns(ctxFor(t), "ghost"); err != nil || len(runs) != 0 {
		t.Fatalf("step runs of a missing execution: %v, %v; want none", runs, err)
	}
}

func testStepRunsUpsert(t *testing.T, s store.Store) {
	mustCreate(t, s, newExecution("exec-steps", "wf", at(0)))
	first := weft.StepRun{
		ExecutionID: "exec-steps", StepID: "fetch", Item: weft.WholeStep, Type: "http.request",
		Status: weft.StepRunning, Attempts: 1, Input: json.RawMessage(`{"url": "https://x"}`),
		StartedAt: new(at(time.Second)),
	}
	item0 := weft.StepRun{StepID: "fetch", Item: 0, Type: "http.request", Status: weft.StepPending} // ExecutionID filled from the mutation
	mustApply(t, s, store.Mutation{ExecutionID: "exec-steps", StepRuns: []weft.StepRun{first, item0}})

	done := first
	done.Status, done.Attempts = weft.StepSucceeded, 2
	done.Output = json.RawMessage(`{"status": 200}`)
	done.Error = &weft.ErrorInfo{Code: "kept", Message: "as given"}
	done.State = json.RawMessage(`{"child":"x"}`)
	done.FinishedAt, done.WakeAt = new(at(2*time.Second)), new(at(3*time.Second))
	mustApply(t, s, store.Mutation{ExecutionID: "exec-steps", StepRuns: []weft.StepRun{done}})

	runs, err := s.GetStepRuns(ctxFor(t), "exec-steps")
	if err != nil {
		t.Fatal(err)
	}
	item0.ExecutionID = "exec-steps"
	equal(t, "step runs after upsert", runs, []weft.StepRun{storedStep(done), storedStep(item0)})
}

func testStepRunsOrder(t *testing.T, s store.Store) {
	mustCreate(t, s, newExecution("exec-order", "wf", at(0)))
	run := func(step string, item int, started *time.Time) weft.StepRun {
		return weft.StepRun{ExecutionID: "exec-order", StepID: step, Item: item, Status: weft.StepSucceeded, StartedAt: started}
	}
	t1, t2 := at(time.Second), at(2*time.Second)
	in := []weft.StepRun{
		run("z-pending", weft.WholeStep, nil),
		run("b", 1, &t2),
		run("b", 0, &t2),
		run("a", weft.WholeStep, &t2),
		run("late", weft.WholeStep, &t1),
		run("b", weft.WholeStep, &t2),
		run("a-pending", weft.WholeStep, nil),
	}
	mustApply(t, s, store.Mutation{ExecutionID: "exec-order", StepRuns: in})
	runs, err := s.GetStepRuns(ctxFor(t), "exec-order")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range runs {
		got = append(got, weft.StepRunID("", r.StepID, r.Item))
	}
	// Started time first, then step id, then item; runs not started yet last.
	equal(t, "order", got, []string{"/late", "/a", "/b", "/b/0", "/b/1", "/a-pending", "/z-pending"})
}

func testLeaseFencing(t *testing.T, s store.Store) {
	ctx := ctxFor(t)
	e := newExecution("exec-fence", "wf", at(0))
	e.Status, e.LeaseOwner, e.LeaseUntil = weft.ExecutionRunning, "owner-a", new(at(time.Minute))
	// Owner is ignored when creating.
	mustApply(t, s, store.Mutation{Owner: "someone-else", Create: e, ExecutionID: e.ID})
	want := stored(*e)

	_, err := s.Apply(ctx, store.Mutation{
		Owner: "owner-b", ExecutionID: e.ID,
		Patch:    &store.ExecutionPatch{Status: new(weft.ExecutionSucceeded)},
		StepRuns: []weft.StepRun{{StepID: "s", Item: weft.WholeStep, Status: weft.StepSucceeded}},
	})
	wantErr(t, err, weft.ErrLeaseLost, "write by a non-owner")
	equal(t, "execution after fenced write", mustGet(t, s, e.ID), want)
	if runs, _ := s.GetStepRuns(ctx, e.ID); len(runs) != 0 {
		t.Fatalf("fenced write stored %d step runs", len(runs))
	}
	// Step runs alone are fenced too.
	_, err = s.Apply(ctx, store.Mutation{Owner: "owner-b", ExecutionID: e.ID,
		StepRuns: []weft.StepRun{{StepID: "s", Item: weft.WholeStep, Status: weft.StepSucceeded}}})
	wantErr(t, err, weft.ErrLeaseLost, "step-run-only write by a non-owner")
	if runs, _ := s.GetStepRuns(ctx, e.ID); len(runs) != 0 {
		t.Fatalf("fenced write stored %d step runs", len(runs))
	}

	// The owner writes, even past its lease as long as nobody took over.
	mustApply(t, s, store.Mutation{Owner: "owner-a", ExecutionID: e.ID,
		Patch:    &store.ExecutionPatch{Output: json.RawMessage(`1`)},
		StepRuns: []weft.StepRun{{StepID: "s", Item: weft.WholeStep, Status: weft.StepSucceeded}}})
	if runs, _ := s.GetStepRuns(ctx, e.ID); len(runs) != 1 {
		t.Fatalf("owner's write stored %d step runs, want 1", len(runs))
	}

	// Once released, the old owner is fenced out as well.
	mustApply(t, s, store.Mutation{Owner: "owner-a", ExecutionID: e.ID, Patch: &store.ExecutionPatch{ReleaseLease: true}})
	_, err = s.Apply(ctx, store.Mutation{Owner: "owner-a", ExecutionID: e.ID, Patch: &store.ExecutionPatch{Output: json.RawMessage(`2`)}})
	wantErr(t, err, weft.ErrLeaseLost, "write after release")
	if got := mustGet(t, s, e.ID); string(got.Output) != "1" {
		t.Fatalf("output %s after fenced write, want 1", got.Output)
	}

	_, err = s.Apply(ctx, store.Mutation{Owner: "owner-a", ExecutionID: "ghost", Patch: &store.ExecutionPatch{}})
	wantErr(t, err, weft.ErrLeaseLost, "owned write to a missing execution")
}

func testApplyInvalid(t *testing.T, s store.Store) {
	ctx := ctxFor(t)
	for name, m := range map[string]store.Mutation{
		"no id":              {Patch: &store.ExecutionPatch{}},
		"dedupe alone":       {ExecutionID: "x", Dedupe: &store.DedupeKey{Scope: "s", Key: "k"}},
		"create id mismatch": {ExecutionID: "x", Create: newExecution("y", "wf", at(0))},
		"bad status":         {ExecutionID: "x", Patch: &store.ExecutionPatch{Status: new(weft.ExecutionStatus("exploded"))}},
		"foreign step run":   {Create: newExecution("x", "wf", at(0)), StepRuns: []weft.StepRun{{ExecutionID: "other", StepID: "a"}}},
	} {
		_, err := s.Apply(ctx, m)
		wantErr(t, err, weft.ErrInvalid, name)
	}
	wantNotFound(t, s, "x")
	wantNotFound(t, s, "y")
}

func testApplyCanceledContext(t *testing.T, s store.Store) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := s.Apply(ctx, store.Mutation{Create: newExecution("never", "wf", at(0))})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Apply with a canceled context: %v, want context.Canceled", err)
	}
	wantNotFound(t, s, "never")
}

func testCreateWithPatchAndSteps(t *testing.T, s store.Store) {
	e := newExecution("exec-inline", "wf", at(0))
	mustApply(t, s, store.Mutation{
		Create: e,
		Patch: &store.ExecutionPatch{Status: new(weft.ExecutionRunning), StartedAt: new(at(time.Second)),
			LeaseOwner: "me", LeaseUntil: new(at(time.Minute))},
		StepRuns: []weft.StepRun{{StepID: "first", Item: weft.WholeStep, Status: weft.StepRunning}},
	})
	got := mustGet(t, s, e.ID)
	if got.Status != weft.ExecutionRunning || got.LeaseOwner != "me" || got.StartedAt == nil {
		t.Fatalf("create+patch: %+v", got)
	}
	if runs, _ := s.GetStepRuns(ctxFor(t), e.ID); len(runs) != 1 || runs[0].ExecutionID != e.ID {
		t.Fatalf("create+steps: %+v", runs)
	}
}

func testCloseRejectsWrites(t *testing.T, s store.Store) {
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if _, err := s.Apply(ctxFor(t), store.Mutation{Create: newExecution("late", "wf", at(0))}); err == nil {
		t.Fatal("Apply after Close succeeded")
	}
}
