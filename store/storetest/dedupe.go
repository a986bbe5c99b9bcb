package storetest

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/store"
)

func dedupeTests() map[string]func(t *testing.T, s store.Store) {
	return map[string]func(t *testing.T, s store.Store){
		"DuplicateWritesNothing": testDedupeDuplicate,
		"ExpiredKeyIsReclaimed":  testDedupeExpired,
		"ConcurrentRedelivery":   testDedupeConcurrent,
	}
}

func createDeduped(s store.Store, t *testing.T, id, scope, key string, expires time.Time) (store.Result, error) {
	return s.Apply(ctxFor(t), store.Mutation{
		Create:   newExecution(id, "wf", at(0)),
		Dedupe:   &store.DedupeKey{Scope: scope, Key: key, ExpiresAt: expires},
		StepRuns: []weft.StepRun{{StepID: "trigger", Item: weft.WholeStep, Status: weft.StepSucceeded}},
	})
}

func testDedupeDuplicate(t *testing.T, s store.Store) {
	future := time.Now().Add(time.Hour)
	if _, err := createDeduped(s, t, "first", "wf", "evt-1", future); err != nil {
		t.Fatal(err)
	}
	res, err := createDeduped(s, t, "second", "wf", "evt-1", future)
	wantErr(t, err, weft.ErrDuplicate, "same key again")
	if res.Existing != "first" {
		t.Fatalf("Existing = %q, want first", res.Existing)
	}
	wantNotFound(t, s, "second")
	if runs, _ := s.GetStepRuns(ctxFor(t), "second"); len(runs) != 0 {
		t.Fatalf("duplicate stored %d step runs", len(runs))
	}
	// Keys are per scope; a zero expiry never expires.
	if _, err := createDeduped(s, t, "other-scope", "wf-2", "evt-1", time.Time{}); err != nil {
		t.Fatalf("same key in another scope: %v", err)
	}
	res, err = createDeduped(s, t, "third", "wf-2", "evt-1", future)
	wantErr(t, err, weft.ErrDuplicate, "key without expiry")
	if res.Existing != "other-scope" {
		t.Fatalf("Existing = %q, want other-scope", res.Existing)
	}
}

func testDedupeExpired(t *testing.T, s store.Store) {
	if _, err := createDeduped(s, t, "old", "wf", "evt", time.Now().Add(-time.Minute)); err != nil {
		t.Fatal(err)
	}
	if _, err := createDeduped(s, t, "new", "wf", "evt", time.Now().Add(time.Hour)); err != nil {
		t.Fatalf("expired key not reclaimed: %v", err)
	}
	res, err := createDeduped(s, t, "newer", "wf", "evt", time.Now().Add(time.Hour))
	wantErr(t, err, weft.ErrDuplicate, "reclaimed key")
	if res.Existing != "new" {
		t.Fatalf("Existing = %q, want new (the reclaimer)", res.Existing)
	}
	mustGet(t, s, "old")
}

// testDedupeConcurrent is n8n's double delivery: the same event arrives 16
// times at once. Exactly one execution may start.
func testDedupeConcurrent(t *testing.T, s store.Store) {
	const n = 16
	var (
		wg    sync.WaitGroup
		start = make(chan struct{})
		errs  = make([]error, n)
		res   = make([]store.Result, n)
	)
	for i := range n {
		wg.Go(func() {
			<-start
			res[i], errs[i] = createDeduped(s, t, fmt.Sprintf("delivery-%02d", i), "wf", "evt-42", time.Now().Add(time.Hour))
		})
	}
	close(start)
	wg.Wait()
	winner := ""
	for i, err := range errs {
		if err == nil {
			if winner != "" {
				t.Fatalf("two winners: %s and delivery-%02d", winner, i)
			}
			winner = fmt.Sprintf("delivery-%02d", i)
		}
	}
	if winner == "" {
		t.Fatalf("no winner: %v", errors.Join(errs...))
	}
	for i, err := range errs {
		if err == nil {
			continue
		}
		wantErr(t, err, weft.ErrDuplicate, fmt.Sprintf("delivery-%02d", i))
		if res[i].Existing != winner {
			t.Fatalf("delivery-%02d: Existing %q, want winner %q", i, res[i].Existing, winner)
		}
	}
	if n, err := s.CountExecutions(ctxFor(t), "wf"); err != nil || n != 1 {
		t.Fatalf("executions stored: %d, %v; want 1", n, err)
	}
}
