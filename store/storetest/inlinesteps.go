package storetest

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/store"
)

// Step runs written with the execution that creates them already finished
// may be kept in the execution's row (store.InlineStepRuns); these tests
// hold a store to giving back the same step runs as from step_runs rows,
// before and after a later write moves them there.
func inlineStepTests() map[string]func(t *testing.T, s store.Store) {
	return map[string]func(t *testing.T, s store.Store){
		"ReadBackAsRows":     testInlineReadBack,
		"SpillOnStepWrite":   testInlineSpill,
		"SpillOnOwnerWrite":  testInlineSpillFenced,
		"PruneRemovesThem":   testInlinePrune,
		"ListSearchAndStats": testInlineListSearchStats,
	}
}

// inlineRuns are the step runs of a finished execution: every field set
// somewhere, payloads JSON and not, a for_each item, a skipped step.
func inlineRuns(d time.Duration) []weft.StepRun {
	return []weft.StepRun{
		{StepID: "reply", Item: weft.WholeStep, Type: "respond", Status: weft.StepSucceeded, Attempts: 1,
			Input: json.RawMessage(`{"status": 200, "body": "<ok> & \u2028"}`), Output: json.RawMessage(`{"status":200}`),
			StartedAt: new(at(d + 2*time.Millisecond)), FinishedAt: new(at(d + 3*time.Millisecond)),
			History: []weft.Attempt{{Attempt: 1, At: at(d + 3*time.Millisecond), Outcome: "succeeded"}}},
		{StepID: "compute", Item: weft.WholeStep, Type: "transform", Status: weft.StepSucceeded, Attempts: 2,
			Input: json.RawMessage(`{"a":1}`), Output: json.RawMessage("not json \x00\xff"), State: json.RawMessage(`{"k":"v"}`),
			Error:     &weft.ErrorInfo{Code: "kept", Message: "first try failed"},
			StartedAt: new(at(d + time.Millisecond)), FinishedAt: new(at(d + 2*time.Millisecond)), WakeAt: new(at(d + time.Hour)),
			History: []weft.Attempt{
				{Attempt: 1, At: at(d + time.Millisecond), Outcome: "retry", DurationMS: 1, Code: "kept", Error: "first try failed", Wait: weft.Duration(time.Second), Reason: "backoff"},
				{Attempt: 2, At: at(d + 2*time.Millisecond), Outcome: "succeeded"}}},
		{StepID: "each", Item: 0, Type: "transform", Status: weft.StepSucceeded, Attempts: 1,
			StartedAt: new(at(d + time.Millisecond)), FinishedAt: new(at(d + time.Millisecond))},
		{StepID: "unused", Item: weft.WholeStep, Type: "http.request", Status: weft.StepSkipped},
	}
}

func finishedWith(id string, created time.Time, status weft.ExecutionStatus) *weft.Execution {
	e := newExecution(id, "wf", created)
	e.Status = status
	e.StartedAt, e.FinishedAt = new(created.Add(time.Millisecond)), new(created.Add(4*time.Millisecond))
	e.Output = json.RawMessage(`{"done":true}`)
	return e
}

// asRows writes runs the other way, a step-run write of its own after the
// create, and returns what the store gives back.
func asRows(t *testing.T, s store.Store, id string, runs []weft.StepRun) []weft.StepRun {
	t.Helper()
	mustCreate(t, s, newExecution(id, "wf", at(0)))
	mustApply(t, s, store.Mutation{ExecutionID: id, StepRuns: runs})
	got, err := s.GetStepRuns(ctxFor(t), id)
	if err != nil {
		t.Fatal(err)
	}
	for i := range got {
		got[i].ExecutionID = "" // compared across executions
	}
	return got
}

func mustStepRuns(t *testing.T, s store.Store, id string) []weft.StepRun {
	t.Helper()
	got, err := s.GetStepRuns(ctxFor(t), id)
	if err != nil {
		t.Fatalf("GetStepRuns(%s): %v", id, err)
	}
	for i := range got {
		if got[i].ExecutionID != id {
			t.Fatalf("step run %s has execution id %q, want %q", got[i].StepID, got[i].ExecutionID, id)
		}
		got[i].ExecutionID = ""
	}
	return got
}

// testInlineReadBack: a finished execution created with its step runs in one
// mutation reads back exactly as step runs written as rows, and the
// execution itself reads back as created.
func testInlineReadBack(t *testing.T, s store.Store) {
	runs := inlineRuns(0)
	e := finishedWith("inline", at(0), weft.ExecutionSucceeded)
	mustApply(t, s, store.Mutation{Create: e, ExecutionID: e.ID, StepRuns: runs})
	want := asRows(t, s, "rows", runs)
	if len(want) != len(runs) {
		t.Fatalf("%d step runs as rows, want %d", len(want), len(runs))
	}
	equal(t, "inline step runs", mustStepRuns(t, s, "inline"), want)
	equal(t, "inline execution", mustGet(t, s, "inline"), stored(*e))
}

// testInlineSpill: a later step-run write (a resume-like mutation without
// an owner) keeps every step run, replaces the one it names and adds new
// ones, and from then on the store behaves as for rows.
func testInlineSpill(t *testing.T, s store.Store) {
	runs := inlineRuns(0)
	e := finishedWith("spill", at(0), weft.ExecutionFailed)
	mustApply(t, s, store.Mutation{Create: e, ExecutionID: e.ID, StepRuns: runs})

	redo := runs[1] // compute, again
	redo.Status, redo.Attempts, redo.Output, redo.Error = weft.StepRunning, 3, nil, nil
	redo.StartedAt = new(at(time.Minute))
	added := weft.StepRun{StepID: "after", Item: weft.WholeStep, Type: "transform", Status: weft.StepPending}
	running := weft.ExecutionRunning
	mustApply(t, s, store.Mutation{ExecutionID: e.ID, Patch: &store.ExecutionPatch{Status: &running},
		StepRuns: []weft.StepRun{redo, added}})
	want := asRows(t, s, "rows", []weft.StepRun{runs[0], redo, runs[2], runs[3], added})
	equal(t, "step runs after the spill", mustStepRuns(t, s, e.ID), want)

	// A second write finds them as rows.
	redo.Status, redo.FinishedAt = weft.StepSucceeded, new(at(2*time.Minute))
	mustApply(t, s, store.Mutation{ExecutionID: e.ID, StepRuns: []weft.StepRun{redo}})
	want = asRows(t, s, "rows-2", []weft.StepRun{runs[0], redo, runs[2], runs[3], added})
	equal(t, "step runs after a second write", mustStepRuns(t, s, e.ID), want)
}

// testInlineSpillFenced: the spill belongs to the write. A fenced write by
// a non-owner moves nothing; the owner's write moves them.
func testInlineSpillFenced(t *testing.T, s store.Store) {
	ctx := ctxFor(t)
	runs := inlineRuns(0)
	e := finishedWith("fenced", at(0), weft.ExecutionSucceeded)
	e.LeaseOwner, e.LeaseUntil = "me", new(at(time.Minute))
	mustApply(t, s, store.Mutation{Create: e, ExecutionID: e.ID, StepRuns: runs})
	want := asRows(t, s, "rows", runs)

	extra := weft.StepRun{StepID: "extra", Item: weft.WholeStep, Status: weft.StepSucceeded}
	_, err := s.Apply(ctx, store.Mutation{Owner: "other", ExecutionID: e.ID, StepRuns: []weft.StepRun{extra}})
	wantErr(t, err, weft.ErrLeaseLost, "step-run write by a non-owner")
	equal(t, "step runs after a refused write", mustStepRuns(t, s, e.ID), want)

	_, err = s.Apply(ctx, store.Mutation{ExecutionID: "ghost", StepRuns: []weft.StepRun{extra}})
	wantErr(t, err, weft.ErrNotFound, "step-run write to a missing execution")

	mustApply(t, s, store.Mutation{Owner: "me", ExecutionID: e.ID, StepRuns: []weft.StepRun{extra}})
	want = asRows(t, s, "rows-2", append(append([]weft.StepRun(nil), runs...), extra))
	equal(t, "step runs after the owner's write", mustStepRuns(t, s, e.ID), want)
}

// testInlinePrune: retention removes step runs kept in the row and spilled
// ones alike.
func testInlinePrune(t *testing.T, s store.Store) {
	ctx := ctxFor(t)
	for _, id := range []string{"kept-inline", "spilled", "recent"} {
		created := at(0)
		if id == "recent" {
			created = at(48 * time.Hour)
		}
		mustApply(t, s, store.Mutation{Create: finishedWith(id, created, weft.ExecutionSucceeded), ExecutionID: id, StepRuns: inlineRuns(0)})
	}
	mustApply(t, s, store.Mutation{ExecutionID: "spilled", StepRuns: []weft.StepRun{{StepID: "more", Item: weft.WholeStep, Status: weft.StepSucceeded}}})
	for {
		n, err := s.Prune(ctx, at(24*time.Hour), 10)
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			break
		}
	}
	for _, id := range []string{"kept-inline", "spilled"} {
		wantNotFound(t, s, id)
		if runs, err := s.GetStepRuns(ctx, id); err != nil || len(runs) != 0 {
			t.Fatalf("step runs of pruned %s: %v, %v", id, runs, err)
		}
	}
	if runs := mustStepRuns(t, s, "recent"); len(runs) != len(inlineRuns(0)) {
		t.Fatalf("kept execution has %d step runs, want %d", len(runs), len(inlineRuns(0)))
	}
	// A new execution under a pruned id starts with no step runs.
	mustCreate(t, s, newExecution("spilled", "wf", at(0)))
	if runs := mustStepRuns(t, s, "spilled"); len(runs) != 0 {
		t.Fatalf("re-created execution has step runs %s", dump(runs))
	}
}

// testInlineListSearchStats: lists and searches give back executions that
// keep their step runs as created, and the step latency counts their step
// runs with those in rows, newest executions first.
func testInlineListSearchStats(t *testing.T, s store.Store) {
	ctx := ctxFor(t)
	var want []weft.Execution
	for i := range 4 {
		id := fmt.Sprintf("x%d", i)
		created := at(time.Duration(i) * time.Second)
		e := finishedWith(id, created, weft.ExecutionSucceeded)
		runs := []weft.StepRun{{StepID: "fetch", Item: weft.WholeStep, Type: "http.request", Status: weft.StepSucceeded, Attempts: 1,
			StartedAt: new(created), FinishedAt: new(created.Add(time.Duration(i+1) * 10 * time.Millisecond))}}
		if i%2 == 0 { // kept in the row
			mustApply(t, s, store.Mutation{Create: e, ExecutionID: id, StepRuns: runs})
		} else { // as rows
			c := *e
			c.Status = weft.ExecutionRunning
			mustCreate(t, s, &c)
			mustApply(t, s, store.Mutation{ExecutionID: id, StepRuns: runs, Patch: &store.ExecutionPatch{Status: &e.Status}})
		}
		want = append([]weft.Execution{stored(*e)}, want...)
	}
	list, _, err := s.ListExecutions(ctx, store.ExecutionFilter{Workflow: "wf"})
	if err != nil {
		t.Fatal(err)
	}
	equal(t, "listed", list, want)
	page, err := s.SearchExecutions(ctx, store.ExecutionSearch{ExecutionFilter: store.ExecutionFilter{Status: weft.ExecutionSucceeded}, IDPrefix: "x"})
	if err != nil {
		t.Fatal(err)
	}
	equal(t, "searched", page.Items, want)

	q := store.StatsQuery{Since: at(0), Until: at(time.Minute), Bucket: time.Minute}
	st, err := s.ExecutionStats(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	if len(st.Steps) != 1 || st.Steps[0].Count != 4 || st.Steps[0].Max != 40*time.Millisecond || st.StepRunsTruncated {
		t.Fatalf("latency of all four = %+v (truncated %v)", st.Steps, st.StepRunsTruncated)
	}
	// The newest three: 40ms (kept as rows), 30ms (in the row), 20ms (rows).
	q.MaxStepRuns = 3
	if st, err = s.ExecutionStats(ctx, q); err != nil {
		t.Fatal(err)
	}
	if len(st.Steps) != 1 || st.Steps[0].Count != 3 || st.Steps[0].P50 != 30*time.Millisecond || st.Steps[0].Max != 40*time.Millisecond || !st.StepRunsTruncated {
		t.Fatalf("latency of the newest three = %+v (truncated %v)", st.Steps, st.StepRunsTruncated)
	}
}
