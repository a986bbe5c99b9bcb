package storetest

import (
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/store"
)

func concurrencyTests() map[string]func(t *testing.T, s store.Store) {
	return map[string]func(t *testing.T, s store.Store){
		"ClaimHandsEachOnce":   testConcurrentClaim,
		"ClaimRespectsLimit":   testConcurrentClaimLimit,
		"GroupCommitIsolation": testGroupCommitIsolation,
	}
}

// testConcurrentClaim: 8 owners claim 200 executions at once; each must go to
// exactly one owner, and the stored lease must name that owner.
func testConcurrentClaim(t *testing.T, s store.Store) {
	const total, owners = 200, 8
	for i := range total {
		mustCreate(t, s, newExecution(fmt.Sprintf("x-%03d", i), "wf", at(time.Duration(i)*time.Millisecond)))
	}
	now := at(time.Hour)
	var (
		wg    sync.WaitGroup
		start = make(chan struct{})
		got   = make([][]weft.Execution, owners)
		errs  = make([]error, owners)
	)
	for o := range owners {
		wg.Go(func() {
			<-start
			for {
				es, err := s.Claim(ctxFor(t), fmt.Sprintf("owner-%d", o), now, time.Minute, 7, nil)
				if err != nil {
					errs[o] = err
					return
				}
				if len(es) == 0 {
					return
				}
				got[o] = append(got[o], es...)
			}
		})
	}
	close(start)
	wg.Wait()
	owner := map[string]string{}
	for o := range owners {
		if errs[o] != nil {
			t.Fatalf("owner-%d: %v", o, errs[o])
		}
		for _, e := range got[o] {
			name := fmt.Sprintf("owner-%d", o)
			if prev, dup := owner[e.ID]; dup {
				t.Fatalf("%s handed to %s and %s", e.ID, prev, name)
			}
			owner[e.ID] = name
			if e.LeaseOwner != name {
				t.Fatalf("%s returned with owner %q to %s", e.ID, e.LeaseOwner, name)
			}
		}
	}
	if len(owner) != total {
		t.Fatalf("%d executions claimed, want %d", len(owner), total)
	}
	for id, name := range owner {
		if e := mustGet(t, s, id); e.LeaseOwner != name || e.Status != weft.ExecutionRunning {
			t.Fatalf("%s stored with owner %q status %s, claimed by %s", id, e.LeaseOwner, e.Status, name)
		}
	}
}

// testConcurrentClaimLimit: owners racing for one workflow with limit 3 must
// not start more than 3 between them.
func testConcurrentClaimLimit(t *testing.T, s store.Store) {
	for i := range 40 {
		mustCreate(t, s, newExecution(fmt.Sprintf("l-%02d", i), "limited", at(time.Duration(i)*time.Millisecond)))
	}
	now := at(time.Hour)
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		start = make(chan struct{})
		total int
		errs  []error
	)
	for o := range 8 {
		wg.Go(func() {
			<-start
			for range 5 {
				es, err := s.Claim(ctxFor(t), fmt.Sprintf("owner-%d", o), now, time.Minute, 2, map[string]int{"limited": 3})
				mu.Lock()
				total += len(es)
				if err != nil {
					errs = append(errs, err)
				}
				mu.Unlock()
			}
		})
	}
	close(start)
	wg.Wait()
	if len(errs) > 0 {
		t.Fatal(errs[0])
	}
	n, err := s.CountExecutions(ctxFor(t), "limited", weft.ExecutionRunning)
	if err != nil {
		t.Fatal(err)
	}
	if total != 3 || n != 3 {
		t.Fatalf("claimed %d, running %d; want exactly the limit, 3", total, n)
	}
}

// testGroupCommitIsolation sends good writes, lease-lost writes and
// duplicate creates at once, so that a batching store puts them into the
// same transaction: each must succeed or fail alone.
func testGroupCommitIsolation(t *testing.T, s store.Store) {
	const n = 48
	for i := range n {
		e := withLease(newExecution(fmt.Sprintf("g-%02d", i), "wf", at(time.Duration(i))), weft.ExecutionRunning, "owner-a", at(time.Hour))
		mustApply(t, s, store.Mutation{Create: e, Dedupe: &store.DedupeKey{Scope: "wf", Key: e.ID, ExpiresAt: time.Now().Add(time.Hour)}})
	}
	var (
		wg    sync.WaitGroup
		start = make(chan struct{})
		errs  = make([]error, 4*n)
	)
	for i := range n {
		id := fmt.Sprintf("g-%02d", i)
		owner := "owner-a"
		if i%2 == 1 {
			owner = "owner-b" // lost lease
		}
		wg.Go(func() {
			<-start
			_, errs[i] = s.Apply(ctxFor(t), store.Mutation{Owner: owner, ExecutionID: id,
				Patch:    &store.ExecutionPatch{Output: json.RawMessage(`"` + owner + `"`)},
				StepRuns: []weft.StepRun{{StepID: "s", Item: weft.WholeStep, Status: weft.StepSucceeded}},
			})
		})
		wg.Go(func() { // a duplicate create, always refused
			<-start
			_, errs[n+i] = s.Apply(ctxFor(t), store.Mutation{Create: newExecution("dup-"+id, "wf", at(0)),
				Dedupe: &store.DedupeKey{Scope: "wf", Key: id, ExpiresAt: time.Now().Add(time.Hour)}})
		})
		wg.Go(func() { // a fresh create, always accepted
			<-start
			_, errs[2*n+i] = s.Apply(ctxFor(t), store.Mutation{Create: newExecution("new-"+id, "wf", at(0)),
				StepRuns: []weft.StepRun{{StepID: "t", Item: weft.WholeStep, Status: weft.StepSucceeded}}})
		})
		wg.Go(func() { // fails halfway: the dedupe key is written, then the id clashes
			<-start
			_, errs[3*n+i] = s.Apply(ctxFor(t), store.Mutation{Create: newExecution(id, "other", at(0)),
				Dedupe: &store.DedupeKey{Scope: "half", Key: id, ExpiresAt: time.Now().Add(time.Hour)}})
		})
	}
	close(start)
	wg.Wait()
	for i := range n {
		id := fmt.Sprintf("g-%02d", i)
		wantErr(t, errs[3*n+i], weft.ErrConflict, "clashing create of "+id)
		// Its dedupe key must have been rolled back with it.
		if _, err := s.Apply(ctxFor(t), store.Mutation{Create: newExecution("half-"+id, "wf", at(0)),
			Dedupe: &store.DedupeKey{Scope: "half", Key: id, ExpiresAt: time.Now().Add(time.Hour)}}); err != nil {
			t.Fatalf("dedupe key of a failed create survived: %v", err)
		}
		e := mustGet(t, s, id)
		runs, err := s.GetStepRuns(ctxFor(t), id)
		if err != nil {
			t.Fatal(err)
		}
		if i%2 == 0 {
			if errs[i] != nil || string(e.Output) != `"owner-a"` || len(runs) != 1 {
				t.Fatalf("%s good write: err %v, output %s, %d step runs", id, errs[i], e.Output, len(runs))
			}
		} else {
			wantErr(t, errs[i], weft.ErrLeaseLost, id)
			if e.Output != nil || len(runs) != 0 {
				t.Fatalf("%s fenced write leaked: output %s, %d step runs", id, e.Output, len(runs))
			}
		}
		wantErr(t, errs[n+i], weft.ErrDuplicate, "dup-"+id)
		wantNotFound(t, s, "dup-"+id)
		if errs[2*n+i] != nil {
			t.Fatalf("new-%s: %v", id, errs[2*n+i])
		}
		if runs, _ := s.GetStepRuns(ctxFor(t), "new-"+id); len(runs) != 1 {
			t.Fatalf("new-%s has %d step runs, want 1", id, len(runs))
		}
	}
}
