package storetest

import (
	"strings"
	"testing"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/store"
)

func claimTests() map[string]func(t *testing.T, s store.Store) {
	return map[string]func(t *testing.T, s store.Store){
		"OldestFirstAndLeased": testClaimOldestFirst,
		"WhatIsClaimable":      testClaimWhatIsClaimable,
		"WorkflowLimits":       testClaimLimits,
		"ZeroLimit":            testClaimZeroLimit,
	}
}

// withLease returns e in status with a lease to owner until until (no lease
// when owner is empty).
func withLease(e *weft.Execution, status weft.ExecutionStatus, owner string, until time.Time) *weft.Execution {
	e.Status = status
	if owner != "" {
		e.LeaseOwner, e.LeaseUntil = owner, &until
	}
	return e
}

func testClaimOldestFirst(t *testing.T, s store.Store) {
	ctx := ctxFor(t)
	// Created newest first, ids against time order: only created_at counts.
	mustCreate(t, s, newExecution("c", "wf", at(3*time.Second)))
	mustCreate(t, s, newExecution("b", "wf", at(2*time.Second)))
	mustCreate(t, s, newExecution("z", "wf", at(1*time.Second)))
	now := at(time.Hour)

	got, err := s.Claim(ctx, "owner-1", now, 30*time.Second, 2, nil)
	if err != nil {
		t.Fatal(err)
	}
	equal(t, "first claim", ids(got), []string{"z", "b"})
	for _, e := range got {
		if e.Status != weft.ExecutionRunning || e.LeaseOwner != "owner-1" || e.LeaseUntil == nil || !e.LeaseUntil.Equal(utc(now.Add(30*time.Second))) {
			t.Fatalf("claimed %s: status %s owner %q until %v; want running, owner-1, now+30s", e.ID, e.Status, e.LeaseOwner, e.LeaseUntil)
		}
		equal(t, "claimed execution as stored", mustGet(t, s, e.ID), e)
	}
	got, err = s.Claim(ctx, "owner-2", now, 30*time.Second, 10, nil)
	if err != nil {
		t.Fatal(err)
	}
	equal(t, "second claim", ids(got), []string{"c"})
	got, err = s.Claim(ctx, "owner-3", now, 30*time.Second, 10, nil)
	if err != nil || len(got) != 0 {
		t.Fatalf("third claim: %v, %v; want nothing", ids(got), err)
	}
}

func testClaimWhatIsClaimable(t *testing.T, s store.Store) {
	now := at(time.Hour)
	past, future := now.Add(-time.Second), now.Add(time.Minute)
	i := time.Duration(0)
	mk := func(id string) *weft.Execution { i++; return newExecution(id, "wf", at(i*time.Second)) }

	claimable := []*weft.Execution{
		withLease(mk("queued"), weft.ExecutionQueued, "", time.Time{}),
		withLease(mk("queued-lease-expired"), weft.ExecutionQueued, "dead", past),
		withLease(mk("running-lease-expired"), weft.ExecutionRunning, "dead", past),
		withLease(mk("running-lease-ends-now"), weft.ExecutionRunning, "dead", now),
		withLease(mk("waiting-lease-expired"), weft.ExecutionWaiting, "dead", past),
		withLease(mk("waiting-woken"), weft.ExecutionWaiting, "", time.Time{}),
		withLease(mk("waiting-woken-now"), weft.ExecutionWaiting, "", time.Time{}),
	}
	claimable[4].WakeAt = &future // expired lease beats a future wake: its process died
	claimable[5].WakeAt = &past
	claimable[6].WakeAt = &now
	notClaimable := []*weft.Execution{
		withLease(mk("queued-held"), weft.ExecutionQueued, "alive", future),
		withLease(mk("running-held"), weft.ExecutionRunning, "alive", future),
		withLease(mk("waiting-asleep"), weft.ExecutionWaiting, "", time.Time{}),
		withLease(mk("waiting-forever"), weft.ExecutionWaiting, "", time.Time{}),
		withLease(mk("waiting-held-woken"), weft.ExecutionWaiting, "alive", future),
		withLease(mk("succeeded"), weft.ExecutionSucceeded, "", time.Time{}),
		withLease(mk("failed"), weft.ExecutionFailed, "", time.Time{}),
		withLease(mk("canceled-lease-expired"), weft.ExecutionCanceled, "dead", past),
	}
	notClaimable[2].WakeAt = &future
	notClaimable[4].WakeAt = &past
	var want []string
	for _, e := range claimable {
		mustCreate(t, s, e)
		want = append(want, e.ID)
	}
	for _, e := range notClaimable {
		mustCreate(t, s, e)
	}
	got, err := s.Claim(ctxFor(t), "me", now, time.Minute, 100, nil)
	if err != nil {
		t.Fatal(err)
	}
	equal(t, "claimed", ids(got), want)
	for _, e := range got {
		if e.LeaseOwner != "me" || e.Status != weft.ExecutionRunning {
			t.Fatalf("%s claimed as %s by %q", e.ID, e.Status, e.LeaseOwner)
		}
		// Only an execution left running by a process that stopped is
		// recovered (the engine counts its unfinished attempts as crashes).
		if want := strings.HasPrefix(e.ID, "running-"); e.Recovered != want {
			t.Errorf("%s claimed with Recovered=%v, want %v", e.ID, e.Recovered, want)
		}
	}
	for _, e := range notClaimable {
		equal(t, e.ID+" untouched", mustGet(t, s, e.ID), stored(*e))
	}
}

func testClaimLimits(t *testing.T, s store.Store) {
	ctx := ctxFor(t)
	now := at(time.Hour)
	i := time.Duration(0)
	mk := func(id, wf string) *weft.Execution { i++; return newExecution(id, wf, at(i*time.Second)) }

	// lim allows 3 running: one is held, one's owner died (it is running
	// already, so taking it over does not add), leaving room for one queued.
	mustCreate(t, s, withLease(mk("lim-held", "lim"), weft.ExecutionRunning, "alive", now.Add(time.Minute)))
	mustCreate(t, s, withLease(mk("lim-q1", "lim"), weft.ExecutionQueued, "", time.Time{}))
	mustCreate(t, s, withLease(mk("lim-dead", "lim"), weft.ExecutionRunning, "dead", now.Add(-time.Minute)))
	mustCreate(t, s, withLease(mk("lim-q2", "lim"), weft.ExecutionQueued, "", time.Time{}))
	mustCreate(t, s, withLease(mk("free-1", "free"), weft.ExecutionQueued, "", time.Time{}))
	mustCreate(t, s, withLease(mk("lim-q3", "lim"), weft.ExecutionQueued, "", time.Time{}))
	mustCreate(t, s, withLease(mk("full-q", "full"), weft.ExecutionQueued, "", time.Time{}))
	mustCreate(t, s, withLease(mk("free-2", "free"), weft.ExecutionQueued, "", time.Time{}))
	mustCreate(t, s, withLease(mk("full-held", "full"), weft.ExecutionRunning, "alive", now.Add(time.Minute)))

	limits := map[string]int{"lim": 3, "full": 1, "free": 0}
	got, err := s.Claim(ctx, "me", now, time.Minute, 10, limits)
	if err != nil {
		t.Fatal(err)
	}
	equal(t, "claimed under limits", ids(got), []string{"lim-q1", "lim-dead", "free-1", "free-2"})
	n, err := s.CountExecutions(ctx, "lim", weft.ExecutionRunning)
	if err != nil || n != 3 {
		t.Fatalf("lim running: %d, %v; want 3", n, err)
	}
	got, err = s.Claim(ctx, "me", now, time.Minute, 10, limits)
	if err != nil || len(got) != 0 {
		t.Fatalf("second claim at the limits: %v, %v; want nothing", ids(got), err)
	}
	// Finishing one frees a slot for the oldest waiting execution.
	mustApply(t, s, store.Mutation{Owner: "me", ExecutionID: "lim-q1", Patch: &store.ExecutionPatch{
		Status: new(weft.ExecutionSucceeded), ReleaseLease: true}})
	got, err = s.Claim(ctx, "me", now, time.Minute, 10, limits)
	if err != nil {
		t.Fatal(err)
	}
	equal(t, "claim after a slot frees", ids(got), []string{"lim-q2"})
	// Without limits everything left is handed out.
	got, err = s.Claim(ctx, "me", now, time.Minute, 10, nil)
	if err != nil {
		t.Fatal(err)
	}
	equal(t, "claim without limits", ids(got), []string{"lim-q3", "full-q"})
}

func testClaimZeroLimit(t *testing.T, s store.Store) {
	mustCreate(t, s, newExecution("q", "wf", at(0)))
	got, err := s.Claim(ctxFor(t), "me", at(time.Hour), time.Minute, 0, nil)
	if err != nil || len(got) != 0 {
		t.Fatalf("limit 0: %v, %v; want nothing", ids(got), err)
	}
	if e := mustGet(t, s, "q"); e.Status != weft.ExecutionQueued {
		t.Fatalf("status %s after a zero claim", e.Status)
	}
}
