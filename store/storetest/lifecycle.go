package storetest

import (
	"encoding/json"
	"fmt"
	"sort"
	"testing"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/store"
)

func lifecycleTests() map[string]func(t *testing.T, s store.Store) {
	return map[string]func(t *testing.T, s store.Store){
		"Renew":                testRenew,
		"NextWake":             testNextWake,
		"RequestCancel":        testRequestCancel,
		"ResetForRetry":        testResetForRetry,
		"PruneInBatches":       testPrune,
		"PruneKeepsLiveDedupe": testPruneKeepsLiveDedupe,
	}
}

func testRenew(t *testing.T, s store.Store) {
	ctx := ctxFor(t)
	now := at(time.Hour)
	lease := now.Add(time.Minute)
	mine := withLease(newExecution("mine", "wf", at(1)), weft.ExecutionRunning, "a", lease)
	taken := withLease(newExecution("taken", "wf", at(2)), weft.ExecutionRunning, "b", lease)
	done := withLease(newExecution("done", "wf", at(3)), weft.ExecutionSucceeded, "a", lease)
	cancel := withLease(newExecution("cancel", "wf", at(4)), weft.ExecutionWaiting, "a", lease)
	cancel.CancelRequested = true
	expired := withLease(newExecution("expired", "wf", at(5)), weft.ExecutionRunning, "a", now.Add(-time.Hour))
	for _, e := range []*weft.Execution{mine, taken, done, cancel, expired} {
		mustCreate(t, s, e)
	}
	until := now.Add(2 * time.Minute)
	lost, canceled, err := s.Renew(ctx, "a", []string{"mine", "taken", "done", "cancel", "expired", "ghost"}, until)
	if err != nil {
		t.Fatal(err)
	}
	equal(t, "lost", lost, []string{"taken", "done", "ghost"})
	equal(t, "cancel", canceled, []string{"cancel"})
	for _, id := range []string{"mine", "cancel", "expired"} {
		if e := mustGet(t, s, id); e.LeaseUntil == nil || !e.LeaseUntil.Equal(utc(until)) || e.LeaseOwner != "a" {
			t.Fatalf("%s after renew: owner %q until %v; want a, %v", id, e.LeaseOwner, e.LeaseUntil, until)
		}
	}
	if e := mustGet(t, s, "taken"); !e.LeaseUntil.Equal(utc(lease)) || e.LeaseOwner != "b" {
		t.Fatalf("renew touched another owner's lease: %q until %v", e.LeaseOwner, e.LeaseUntil)
	}
	lost, canceled, err = s.Renew(ctx, "a", nil, until)
	if err != nil || len(lost) != 0 || len(canceled) != 0 {
		t.Fatalf("renew of nothing: %v %v %v", lost, canceled, err)
	}
}

func testNextWake(t *testing.T, s store.Store) {
	ctx := ctxFor(t)
	if w, err := s.NextWake(ctx); err != nil || !w.IsZero() {
		t.Fatalf("empty store: %v, %v; want zero time", w, err)
	}
	waiting := func(id string, wake time.Time, owner string) {
		e := withLease(newExecution(id, "wf", at(0)), weft.ExecutionWaiting, owner, at(time.Hour))
		e.WakeAt = &wake
		mustCreate(t, s, e)
	}
	waiting("later", at(20*time.Minute), "")
	waiting("soonest", at(10*time.Minute+time.Nanosecond*1500), "")
	waiting("held", at(time.Minute), "someone")
	q := newExecution("queued-with-wake", "wf", at(0))
	q.WakeAt = new(at(time.Second))
	mustCreate(t, s, q)
	w, err := s.NextWake(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if want := utc(at(10*time.Minute + 1500)); !w.Equal(want) || w.Location() != time.UTC {
		t.Fatalf("NextWake = %v, want %v in UTC", w, want)
	}
}

func testRequestCancel(t *testing.T, s store.Store) {
	ctx := ctxFor(t)
	now := at(time.Hour)
	live, dead := now.Add(time.Minute), now.Add(-time.Minute)
	cases := []struct {
		e        *weft.Execution
		canceled bool // at once, rather than flagged for the owner
	}{
		{withLease(newExecution("queued", "wf", at(1)), weft.ExecutionQueued, "", time.Time{}), true},
		{withLease(newExecution("waiting", "wf", at(2)), weft.ExecutionWaiting, "", time.Time{}), true},
		{withLease(newExecution("waiting-dead-owner", "wf", at(3)), weft.ExecutionWaiting, "dead", dead), true},
		{withLease(newExecution("waiting-held", "wf", at(4)), weft.ExecutionWaiting, "alive", live), false},
		{withLease(newExecution("running", "wf", at(5)), weft.ExecutionRunning, "alive", live), false},
		{withLease(newExecution("running-dead-owner", "wf", at(6)), weft.ExecutionRunning, "dead", dead), false},
	}
	cases[1].e.WakeAt = new(at(2 * time.Hour))
	for _, c := range cases {
		mustCreate(t, s, c.e)
	}
	for _, c := range cases {
		got, err := s.RequestCancel(ctx, c.e.ID, now)
		if err != nil {
			t.Fatalf("%s: %v", c.e.ID, err)
		}
		want := stored(*c.e)
		want.CancelRequested = true
		if c.canceled {
			want.Status, want.FinishedAt = weft.ExecutionCanceled, new(utc(now))
			want.LeaseOwner, want.LeaseUntil, want.WakeAt = "", nil, nil
		}
		equal(t, c.e.ID+" returned", got, want)
		equal(t, c.e.ID+" stored", mustGet(t, s, c.e.ID), want)
	}
	// A canceled execution is not claimable any more.
	got, err := s.Claim(ctx, "x", now, time.Minute, 10, nil)
	if err != nil {
		t.Fatal(err)
	}
	equal(t, "claimable after cancels", ids(got), []string{"running-dead-owner"})
	if !got[0].CancelRequested {
		t.Fatal("a taken-over execution lost its cancel request")
	}
	// The owner of "waiting-held" parks it (its commit raced with the
	// cancel request): it is due at once, whatever wake it asked for, so
	// the next claim sees the request instead of the wait's wake-up.
	waiting := weft.ExecutionWaiting
	mustApply(t, s, store.Mutation{Owner: "alive", ExecutionID: "waiting-held", Patch: &store.ExecutionPatch{
		Status: &waiting, WakeAt: store.Ptr(now.Add(24 * time.Hour)), ReleaseLease: true}})
	if next, err := s.NextWake(ctx); err != nil || next.After(now) {
		t.Fatalf("NextWake after parking a canceled execution = %v, %v; want due by %v", next, err, now)
	}
	got, err = s.Claim(ctx, "y", now, time.Minute, 10, nil)
	if err != nil {
		t.Fatal(err)
	}
	equal(t, "claimable after a canceled execution parked", ids(got), []string{"waiting-held"})
	if !got[0].CancelRequested {
		t.Fatal("a parked execution lost its cancel request")
	}
	// Parking one without a cancel request keeps its wake.
	mustCreate(t, s, withLease(newExecution("parks", "wf", at(7)), weft.ExecutionRunning, "alive", live))
	mustApply(t, s, store.Mutation{Owner: "alive", ExecutionID: "parks", Patch: &store.ExecutionPatch{
		Status: &waiting, WakeAt: store.Ptr(now.Add(24 * time.Hour)), ReleaseLease: true}})
	if e := mustGet(t, s, "parks"); e.WakeAt == nil || e.WakeAt.Before(now.Add(23*time.Hour)) {
		t.Fatalf("parked without a cancel request: wake %v", e.WakeAt)
	}

	for _, st := range []weft.ExecutionStatus{weft.ExecutionSucceeded, weft.ExecutionFailed, weft.ExecutionCanceled} {
		id := "finished-" + string(st)
		mustCreate(t, s, withLease(newExecution(id, "wf", at(0)), st, "", time.Time{}))
		_, err := s.RequestCancel(ctx, id, now)
		wantErr(t, err, weft.ErrConflict, id)
		if e := mustGet(t, s, id); e.CancelRequested {
			t.Fatalf("%s flagged although finished", id)
		}
	}
	_, err = s.RequestCancel(ctx, "ghost", now)
	wantErr(t, err, weft.ErrNotFound, "missing execution")
}

func testResetForRetry(t *testing.T, s store.Store) {
	ctx := ctxFor(t)
	now := at(time.Hour)
	e := withLease(newExecution("failed", "wf", at(0)), weft.ExecutionFailed, "old", now.Add(time.Minute))
	e.Error = &weft.ErrorInfo{Code: "boom", Message: "step b failed"}
	e.StartedAt, e.FinishedAt, e.WakeAt = new(at(time.Second)), new(at(time.Minute)), new(at(time.Hour))
	e.Output = json.RawMessage(`{"partial":true}`)
	steps := []weft.StepRun{
		{StepID: "a", Item: weft.WholeStep, Status: weft.StepSucceeded, Output: json.RawMessage(`1`), StartedAt: new(at(time.Second))},
		{StepID: "each", Item: 0, Status: weft.StepSucceeded, StartedAt: new(at(2 * time.Second))},
		{StepID: "each", Item: 1, Status: weft.StepFailed, StartedAt: new(at(2 * time.Second))},
		{StepID: "b", Item: weft.WholeStep, Status: weft.StepFailed, StartedAt: new(at(3 * time.Second)), Attempts: 2,
			Input: json.RawMessage(`{"big":"input"}`), Error: &weft.ErrorInfo{Code: "boom", Message: "b broke"},
			History: []weft.Attempt{{Attempt: 1, At: at(3 * time.Second), Outcome: "retry", Error: "b broke"}, {Attempt: 2, At: at(4 * time.Second), Outcome: "failed", Error: "b broke"}}},
		{StepID: "c", Item: weft.WholeStep, Status: weft.StepSkipped},
		{StepID: "d", Item: weft.WholeStep, Status: weft.StepCanceled},
	}
	mustApply(t, s, store.Mutation{Create: e, StepRuns: steps})

	got, err := s.ResetForRetry(ctx, "failed", now, "admin token")
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != weft.ExecutionQueued || got.Error != nil || got.FinishedAt != nil || got.LeaseOwner != "" || got.LeaseUntil != nil || got.WakeAt != nil {
		t.Fatalf("after reset: %s", dump(got))
	}
	// The retry is a new run: its start is set when it is claimed.
	if got.StartedAt != nil || got.Workflow != "wf" || string(got.Input) != string(e.Input) {
		t.Fatalf("reset lost fields it should keep, or kept the old start: %s", dump(got))
	}
	// The run that failed is kept, with the step runs the retry replaces.
	if len(got.Retries) != 1 {
		t.Fatalf("retries after reset: %s", dump(got.Retries))
	}
	prior := got.Retries[0]
	if prior.Run != 1 || prior.Status != weft.ExecutionFailed || prior.RetriedBy != "admin token" || !prior.RetriedAt.Equal(now) ||
		prior.Error == nil || prior.Error.Message != "step b failed" || prior.StartedAt == nil || !prior.StartedAt.Equal(at(time.Second).Truncate(time.Microsecond)) ||
		prior.FinishedAt == nil || !prior.FinishedAt.Equal(at(time.Minute).Truncate(time.Microsecond)) {
		t.Fatalf("prior run: %s", dump(prior))
	}
	var replaced []string
	for _, r := range prior.Steps {
		replaced = append(replaced, fmt.Sprintf("%s/%d/%s", r.StepID, r.Item, r.Status))
		if r.StepID == "b" {
			if len(r.History) != 2 || r.History[1].Outcome != "failed" || r.Error == nil || r.Error.Message != "b broke" || r.Attempts != 2 {
				t.Fatalf("step b's attempts were not kept: %s", dump(r))
			}
			if r.Input != nil {
				t.Fatalf("a prior run keeps no inputs: %s", dump(r))
			}
		}
	}
	sort.Strings(replaced)
	equal(t, "step runs replaced", replaced, []string{"b/-1/failed", "c/-1/skipped", "d/-1/canceled", "each/1/failed"})
	equal(t, "stored after reset", mustGet(t, s, "failed"), got)
	runs, err := s.GetStepRuns(ctx, "failed")
	if err != nil {
		t.Fatal(err)
	}
	var kept []string
	for _, r := range runs {
		kept = append(kept, fmt.Sprintf("%s/%d", r.StepID, r.Item))
	}
	equal(t, "step runs kept", kept, []string{"a/-1", "each/0"})
	claimed, err := s.Claim(ctx, "new", now, time.Minute, 10, nil)
	if err != nil || len(claimed) != 1 || claimed[0].ID != "failed" {
		t.Fatalf("claim after reset: %v, %v", ids(claimed), err)
	}
	// A second failure and retry appends a second run.
	st := weft.ExecutionFailed
	mustApply(t, s, store.Mutation{Owner: "new", ExecutionID: "failed", Patch: &store.ExecutionPatch{Status: &st,
		Error: &weft.ErrorInfo{Code: "boom", Message: "again"}, FinishedAt: new(now.Add(time.Minute)), ReleaseLease: true}})
	again, err := s.ResetForRetry(ctx, "failed", now.Add(2*time.Minute), "")
	if err != nil {
		t.Fatal(err)
	}
	if len(again.Retries) != 2 || again.Retries[0].Run != 1 || again.Retries[1].Run != 2 || again.Retries[1].Error.Message != "again" {
		t.Fatalf("second retry: %s", dump(again.Retries))
	}

	for _, st := range []weft.ExecutionStatus{weft.ExecutionQueued, weft.ExecutionRunning, weft.ExecutionWaiting, weft.ExecutionSucceeded, weft.ExecutionCanceled} {
		id := "not-failed-" + string(st)
		mustCreate(t, s, withLease(newExecution(id, "wf", at(0)), st, "", time.Time{}))
		_, err := s.ResetForRetry(ctx, id, now, "")
		wantErr(t, err, weft.ErrConflict, id)
		if e := mustGet(t, s, id); e.Status != st {
			t.Fatalf("%s changed to %s", id, e.Status)
		}
	}
	_, err = s.ResetForRetry(ctx, "ghost", now, "")
	wantErr(t, err, weft.ErrNotFound, "missing execution")
}

func testPrune(t *testing.T, s store.Store) {
	ctx := ctxFor(t)
	cutoff := at(24 * time.Hour)
	finished := func(id string, st weft.ExecutionStatus, end time.Time) {
		e := withLease(newExecution(id, "wf", at(0)), st, "", time.Time{})
		e.FinishedAt = &end
		mustApply(t, s, store.Mutation{Create: e, StepRuns: []weft.StepRun{
			{StepID: "a", Item: weft.WholeStep, Status: weft.StepSucceeded},
			{StepID: "b", Item: 0, Status: weft.StepFailed},
		}})
	}
	var old []string
	for i := range 5 {
		id := fmt.Sprintf("old-%d", i)
		finished(id, []weft.ExecutionStatus{weft.ExecutionSucceeded, weft.ExecutionFailed, weft.ExecutionCanceled}[i%3], at(time.Duration(i)*time.Minute))
		old = append(old, id)
	}
	finished("recent", weft.ExecutionSucceeded, cutoff.Add(time.Second))
	finished("at-cutoff", weft.ExecutionSucceeded, cutoff)
	// Unfinished executions stay however old, even with a finished_at set.
	mustCreate(t, s, newExecution("old-queued", "wf", at(0)))
	odd := withLease(newExecution("odd-running", "wf", at(0)), weft.ExecutionRunning, "", time.Time{})
	odd.FinishedAt = new(at(0))
	mustCreate(t, s, odd)

	var counts []int
	for range 10 {
		n, err := s.Prune(ctx, cutoff, 2)
		if err != nil {
			t.Fatal(err)
		}
		counts = append(counts, n)
		if n == 0 {
			break
		}
	}
	equal(t, "batches", counts, []int{2, 2, 1, 0})
	for _, id := range old {
		wantNotFound(t, s, id)
		if runs, err := s.GetStepRuns(ctx, id); err != nil || len(runs) != 0 {
			t.Fatalf("step runs of pruned %s: %v, %v", id, runs, err)
		}
	}
	for _, id := range []string{"recent", "at-cutoff", "old-queued", "odd-running"} {
		mustGet(t, s, id)
	}
	if runs, _ := s.GetStepRuns(ctx, "recent"); len(runs) != 2 {
		t.Fatalf("kept execution has %d step runs, want 2", len(runs))
	}
}

// A dedupe key outlives its pruned execution until it expires: a late
// redelivery is still recognized.
func testPruneKeepsLiveDedupe(t *testing.T, s store.Store) {
	ctx := ctxFor(t)
	e := withLease(newExecution("deduped", "wf", at(0)), weft.ExecutionSucceeded, "", time.Time{})
	e.FinishedAt = new(at(0))
	if _, err := s.Apply(ctx, store.Mutation{Create: e, Dedupe: &store.DedupeKey{Scope: "wf", Key: "evt", ExpiresAt: time.Now().Add(time.Hour)}}); err != nil {
		t.Fatal(err)
	}
	if n, err := s.Prune(ctx, at(time.Hour), 10); err != nil || n != 1 {
		t.Fatalf("prune: %d, %v; want 1", n, err)
	}
	res, err := s.Apply(ctx, store.Mutation{Create: newExecution("again", "wf", at(time.Minute)),
		Dedupe: &store.DedupeKey{Scope: "wf", Key: "evt", ExpiresAt: time.Now().Add(time.Hour)}})
	wantErr(t, err, weft.ErrDuplicate, "redelivery after prune")
	if res.Existing != "deduped" {
		t.Fatalf("Existing = %q, want deduped", res.Existing)
	}
}
