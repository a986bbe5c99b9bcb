package storetest

import (
	"testing"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/store"
)

// wakeTests cover how a parent waiting for a child is woken: a child that
// finishes while its parent still runs sets the parent's wake time, and the
// parent parking afterwards must not overwrite it.
func wakeTests() map[string]func(t *testing.T, s store.Store) {
	return map[string]func(t *testing.T, s store.Store){
		"ClaimClearsWake":       testClaimClearsWake,
		"KeepEarlierWake":       testKeepEarlierWake,
		"KeepEarlierWakeLater":  testKeepEarlierWakeLater,
		"KeepEarlierWakeNoWake": testKeepEarlierWakeNoWake,
	}
}

func testClaimClearsWake(t *testing.T, s store.Store) {
	e := newExecution("p", "wf", at(0))
	e.Status, e.WakeAt = weft.ExecutionWaiting, store.Ptr(at(time.Second))
	mustCreate(t, s, e)
	got, err := s.Claim(ctxFor(t), "owner-1", at(time.Minute), 30*time.Second, 10, nil)
	if err != nil || len(got) != 1 {
		t.Fatalf("claim: %v, %v; want the waiting execution", ids(got), err)
	}
	if got[0].WakeAt != nil {
		t.Fatalf("claimed execution keeps wake_at %v; want it cleared", got[0].WakeAt)
	}
	if w := mustGet(t, s, "p").WakeAt; w != nil {
		t.Fatalf("stored execution keeps wake_at %v after claim; want it cleared", w)
	}
}

// claimedParent is a parent that a process claimed and runs.
func claimedParent(t *testing.T, s store.Store) {
	t.Helper()
	mustCreate(t, s, newExecution("p", "wf", at(0)))
	if got, err := s.Claim(ctxFor(t), "owner-1", at(time.Second), 30*time.Second, 10, nil); err != nil || len(got) != 1 {
		t.Fatalf("claim: %v, %v", ids(got), err)
	}
}

func park(t *testing.T, s store.Store, wake time.Time) {
	t.Helper()
	st := weft.ExecutionWaiting
	mustApply(t, s, store.Mutation{Owner: "owner-1", ExecutionID: "p", Patch: &store.ExecutionPatch{
		Status: &st, WakeAt: &wake, KeepEarlierWake: true, ReleaseLease: true}})
}

func testKeepEarlierWake(t *testing.T, s store.Store) {
	claimedParent(t, s)
	// The child finishes and wakes the parent while it still runs.
	mustApply(t, s, store.Mutation{ExecutionID: "p", Patch: &store.ExecutionPatch{WakeAt: store.Ptr(at(2 * time.Second))}})
	park(t, s, at(time.Minute))
	if w := mustGet(t, s, "p").WakeAt; w == nil || !w.Equal(utc(at(2*time.Second))) {
		t.Fatalf("parked parent wakes at %v; want the child's wake-up %v", w, utc(at(2*time.Second)))
	}
	got, err := s.Claim(ctxFor(t), "owner-2", at(3*time.Second), 30*time.Second, 10, nil)
	if err != nil || len(got) != 1 {
		t.Fatalf("claim after the child's wake-up: %v, %v; want the parent", ids(got), err)
	}
}

func testKeepEarlierWakeLater(t *testing.T, s store.Store) {
	claimedParent(t, s)
	// A stored wake later than the parked one does not hold it back.
	mustApply(t, s, store.Mutation{ExecutionID: "p", Patch: &store.ExecutionPatch{WakeAt: store.Ptr(at(time.Hour))}})
	park(t, s, at(time.Minute))
	if w := mustGet(t, s, "p").WakeAt; w == nil || !w.Equal(utc(at(time.Minute))) {
		t.Fatalf("parked parent wakes at %v; want %v", w, utc(at(time.Minute)))
	}
}

func testKeepEarlierWakeNoWake(t *testing.T, s store.Store) {
	claimedParent(t, s)
	park(t, s, at(time.Minute))
	if w := mustGet(t, s, "p").WakeAt; w == nil || !w.Equal(utc(at(time.Minute))) {
		t.Fatalf("parked parent wakes at %v; want %v", w, utc(at(time.Minute)))
	}
	got, err := s.Claim(ctxFor(t), "owner-2", at(30*time.Second), 30*time.Second, 10, nil)
	if err != nil || len(got) != 0 {
		t.Fatalf("claim before the wake: %v, %v; want nothing", ids(got), err)
	}
}
