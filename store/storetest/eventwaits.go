package storetest

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/store"
)

// waitsOf counts an execution's event waits over every name.
func waitsOf(t *testing.T, s store.Store, exec string) int {
	t.Helper()
	n := 0
	page := store.Page{Limit: 500}
	for {
		ws, next, err := s.ListEventWaits(ctxFor(t), "", page)
		if err != nil {
			t.Fatal(err)
		}
		for _, w := range ws {
			if w.ExecutionID == exec {
				n++
			}
		}
		if next == "" {
			return n
		}
		page.Cursor = next
	}
}

// testFinishDeletesWaits: an execution that finishes, is canceled or fails
// (a timeout fails it) loses its event waits in the same write, so the
// table holds only live waits; other executions keep theirs.
func testFinishDeletesWaits(t *testing.T, s store.Store) {
	ctx := ctxFor(t)
	for _, id := range []string{"done", "parked", "held", "other"} {
		e := newExecution(id, "wf", at(0))
		e.Status = weft.ExecutionWaiting
		if id == "held" {
			e.Status, e.LeaseOwner, e.LeaseUntil = weft.ExecutionRunning, "p1", store.Ptr(at(time.Hour))
		}
		mustCreate(t, s, e)
		for _, st := range []string{"a", "b"} {
			w := wait(id, st, "paid", id, at(0))
			if err := s.PutEventWait(ctx, w); err != nil {
				t.Fatal(err)
			}
			w.Item = 2
			if err := s.PutEventWait(ctx, w); err != nil {
				t.Fatal(err)
			}
		}
	}
	for _, id := range []string{"done", "parked", "held", "other"} {
		if n := waitsOf(t, s, id); n != 4 {
			t.Fatalf("%s holds %d waits before, want 4", id, n)
		}
	}

	succeeded := weft.ExecutionSucceeded
	mustApply(t, s, store.Mutation{ExecutionID: "done", Patch: &store.ExecutionPatch{Status: &succeeded, FinishedAt: store.Ptr(at(time.Second))}})
	if n := waitsOf(t, s, "done"); n != 0 {
		t.Fatalf("a succeeded execution keeps %d event waits", n)
	}

	// A parked execution is canceled at once by RequestCancel.
	if ex, err := s.RequestCancel(ctx, "parked", at(time.Second)); err != nil || ex.Status != weft.ExecutionCanceled {
		t.Fatalf("RequestCancel(parked) = %v, %v", ex.Status, err)
	}
	if n := waitsOf(t, s, "parked"); n != 0 {
		t.Fatalf("a canceled execution keeps %d event waits", n)
	}

	// One whose lease is held only gets the request: it still runs and
	// keeps its waits until its owner writes the final state.
	if _, err := s.RequestCancel(ctx, "held", at(time.Second)); err != nil {
		t.Fatal(err)
	}
	if n := waitsOf(t, s, "held"); n != 4 {
		t.Fatalf("a running execution asked to cancel holds %d waits, want 4", n)
	}
	failed := weft.ExecutionFailed
	mustApply(t, s, store.Mutation{Owner: "p1", ExecutionID: "held", Patch: &store.ExecutionPatch{Status: &failed,
		Error: &weft.ErrorInfo{Code: "timeout", Message: "execution timed out"}, FinishedAt: store.Ptr(at(time.Second)), ReleaseLease: true}})
	if n := waitsOf(t, s, "held"); n != 0 {
		t.Fatalf("a failed (timed out) execution keeps %d event waits", n)
	}
	if n := waitsOf(t, s, "other"); n != 4 {
		t.Fatalf("finishing others took the waits of a live execution: %d left, want 4", n)
	}
	// A patch that does not finish leaves the waits alone.
	waiting := weft.ExecutionWaiting
	mustApply(t, s, store.Mutation{ExecutionID: "other", Patch: &store.ExecutionPatch{Status: &waiting, WakeAt: store.Ptr(at(time.Minute))}})
	if n := waitsOf(t, s, "other"); n != 4 {
		t.Fatalf("a non-final patch deleted waits: %d left, want 4", n)
	}
}

// testPublishWakesOnlyItsKey: 10,000 executions wait on one event name,
// each with its own key (two share one); a publish on that key makes due
// exactly those two and touches no other execution: the wake-up is an
// indexed lookup by (name, key), not a scan of every waiter.
func testPublishWakesOnlyItsKey(t *testing.T, s store.Store) {
	// 20,000 writes: more than ctxFor's budget on a loaded machine.
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	const n = 10_000
	later := at(time.Hour)
	ids := make(chan int)
	const writers = 64 // concurrent writers share SQLite's group commits
	errs := make(chan error, writers)
	for range writers {
		go func() {
			var err error
			for i := range ids {
				if err != nil {
					continue
				}
				id := fmt.Sprintf("w%05d", i)
				e := newExecution(id, "wf", at(0))
				e.Status, e.WakeAt = weft.ExecutionWaiting, &later
				if _, err = s.Apply(ctx, store.Mutation{Create: e, ExecutionID: id}); err == nil {
					err = s.PutEventWait(ctx, wait(id, "w", "paid", fmt.Sprintf("k%05d", i%(n-1)), at(0)))
				}
			}
			errs <- err
		}()
	}
	for i := range n {
		ids <- i
	}
	close(ids)
	for range writers {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	// Key k00000 is held by w00000 and w09999 (i % 9999 == 0).
	woken, err := s.PublishEvent(ctx, event("E1", "paid", "k00000", at(time.Second)), 10)
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(woken)
	if fmt.Sprint(woken) != "[w00000 w09999]" {
		t.Fatalf("woken = %v (%d), want [w00000 w09999]", woken[:min(len(woken), 10)], len(woken))
	}
	for _, id := range []string{"w00000", "w09999"} {
		if w := mustGet(t, s, id).WakeAt; w == nil || !w.Equal(utc(at(time.Second))) {
			t.Fatalf("%s wake_at = %v, want the event's time", id, w)
		}
	}
	for i := 1; i < n-1; i += 97 {
		id := fmt.Sprintf("w%05d", i)
		if w := mustGet(t, s, id).WakeAt; w == nil || !w.Equal(utc(later)) {
			t.Fatalf("%s (another key) was touched: wake_at %v", id, w)
		}
	}
	// Due now: only the two woken, not the 9,998 others.
	claimed, err := s.Claim(ctx, "p1", at(2*time.Second), time.Minute, 100, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(claimed) != 2 {
		t.Fatalf("%d executions were due after one publish, want 2", len(claimed))
	}
}
