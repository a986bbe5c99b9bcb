package storepg

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/store"
)

// openInternal opens a store in a fresh schema, dropped when the test ends.
func openInternal(t *testing.T, opts Options) *Store {
	t.Helper()
	url := os.Getenv("WEFT_TEST_POSTGRES_URL")
	if url == "" {
		t.Skip("set WEFT_TEST_POSTGRES_URL to a PostgreSQL URL to run the PostgreSQL store tests")
	}
	ctx := context.Background()
	b := make([]byte, 6)
	rand.Read(b)
	opts.Schema = "weft_test_" + hex.EncodeToString(b)
	s, err := Open(ctx, url, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		s.Close()
		conn, err := pgx.Connect(ctx, url)
		if err != nil {
			t.Errorf("dropping schema %s: %v", opts.Schema, err)
			return
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, "DROP SCHEMA "+opts.Schema+" CASCADE"); err != nil {
			t.Errorf("dropping schema %s: %v", opts.Schema, err)
		}
	})
	return s
}

func groupExecution(id string, owner string) *weft.Execution {
	e := &weft.Execution{ID: id, Workflow: "wf", WorkflowVersion: 1, Status: weft.ExecutionQueued,
		Trigger: weft.TriggerManual, Input: json.RawMessage(`{}`), CreatedAt: time.Now()}
	if owner != "" {
		until := time.Now().Add(time.Hour)
		e.Status, e.LeaseOwner, e.LeaseUntil = weft.ExecutionRunning, owner, &until
	}
	return e
}

// queue puts a job for m on s's queue without running it.
func queue(t *testing.T, s *Store, ctx context.Context, m store.Mutation) *applyJob {
	t.Helper()
	id, err := m.Validate()
	if err != nil {
		t.Fatal(err)
	}
	j := &applyJob{ctx: ctx, m: &m, id: id, now: time.Now(), done: make(chan struct{})}
	s.group.queue <- j
	return j
}

// transactions counts the distinct transactions that last wrote the
// executions ids.
func transactions(t *testing.T, s *Store, ids ...string) int {
	t.Helper()
	var n int
	if err := s.pool.QueryRow(context.Background(),
		"SELECT count(DISTINCT xmin::text) FROM executions WHERE id = ANY($1)", ids).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func output(t *testing.T, s *Store, id string) string {
	t.Helper()
	e, err := s.GetExecution(context.Background(), id)
	if err != nil {
		t.Fatalf("%s: %v", id, err)
	}
	return string(e.Output)
}

func stepRuns(t *testing.T, s *Store, id string) int {
	t.Helper()
	runs, err := s.GetStepRuns(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return len(runs)
}

func patchAs(owner, id, out string) store.Mutation {
	return store.Mutation{Owner: owner, ExecutionID: id,
		Patch:    &store.ExecutionPatch{Output: json.RawMessage(`"` + out + `"`)},
		StepRuns: []weft.StepRun{{StepID: "s", Item: weft.WholeStep, Status: weft.StepSucceeded}}}
}

// Jobs queued together are written by one transaction and answered after
// its commit; a patch of a missing execution, which raises nothing, fails
// alone inside the group.
func TestGroupCommitsJobsTogether(t *testing.T) {
	t.Parallel()
	s := openInternal(t, Options{})
	ctx := context.Background()
	for _, id := range []string{"p1", "p2"} {
		if _, err := s.Apply(ctx, store.Mutation{Create: groupExecution(id, "a")}); err != nil {
			t.Fatal(err)
		}
	}
	jobs := []*applyJob{
		queue(t, s, ctx, store.Mutation{Create: groupExecution("c1", ""),
			StepRuns: []weft.StepRun{{StepID: "t", Item: weft.WholeStep, Status: weft.StepSucceeded}}}),
		queue(t, s, ctx, patchAs("a", "p1", "one")),
		queue(t, s, ctx, store.Mutation{ExecutionID: "missing", Patch: &store.ExecutionPatch{Output: json.RawMessage(`1`)}}),
		queue(t, s, ctx, store.Mutation{Create: groupExecution("c2", ""),
			Dedupe: &store.DedupeKey{Scope: "wf", Key: "k2"}}),
		queue(t, s, ctx, patchAs("a", "p2", "two")),
		queue(t, s, ctx, store.Mutation{Create: groupExecution("c4", ""), StepRuns: []weft.StepRun{
			{StepID: "t", Item: weft.WholeStep, Status: weft.StepSucceeded},
			{StepID: "u", Item: weft.WholeStep, Status: weft.StepSucceeded, Output: json.RawMessage(`{"n":4}`)}}}),
	}
	if n := s.runQueued(ctx); n != len(jobs) {
		t.Fatalf("ran %d jobs, want %d", n, len(jobs))
	}
	for i, j := range jobs {
		select {
		case <-j.done:
		default:
			t.Fatalf("job %d not answered", i)
		}
		if i == 2 {
			if !errors.Is(j.err, weft.ErrNotFound) {
				t.Fatalf("patch of a missing execution: %v, want ErrNotFound", j.err)
			}
		} else if j.err != nil {
			t.Fatalf("job %d: %v", i, j.err)
		}
	}
	if g, r := s.group.groups.Load(), s.group.reruns.Load(); g != 1 || r != 0 {
		t.Fatalf("groups %d, reruns %d; want 1 and 0", g, r)
	}
	if n := transactions(t, s, "c1", "c2", "c4", "p1", "p2"); n != 1 {
		t.Fatalf("the group's rows were written by %d transactions, want 1", n)
	}
	if output(t, s, "p1") != `"one"` || output(t, s, "p2") != `"two"` || stepRuns(t, s, "c1") != 1 || stepRuns(t, s, "p2") != 1 || stepRuns(t, s, "c4") != 2 {
		t.Fatal("a write of the group is missing")
	}
	if _, err := s.Apply(ctx, store.Mutation{Create: groupExecution("c3", ""),
		Dedupe: &store.DedupeKey{Scope: "wf", Key: "k2"}}); !errors.Is(err, weft.ErrDuplicate) {
		t.Fatalf("dedupe key of the group: %v, want ErrDuplicate", err)
	}
}

// One refused job rolls its group back; every job is then run on its own,
// so the refused ones fail alone with their own errors and the others are
// written, each in its own transaction.
func TestGroupFailureIsolation(t *testing.T) {
	t.Parallel()
	s := openInternal(t, Options{})
	ctx := context.Background()
	for _, id := range []string{"p1", "p2", "p3"} {
		if _, err := s.Apply(ctx, store.Mutation{Create: groupExecution(id, "a")}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.Apply(ctx, store.Mutation{Create: groupExecution("held", ""),
		Dedupe: &store.DedupeKey{Scope: "wf", Key: "k"}}); err != nil {
		t.Fatal(err)
	}
	gone, cancel := context.WithCancel(ctx)
	cancel()
	jobs := []*applyJob{
		queue(t, s, ctx, patchAs("a", "p1", "one")),
		queue(t, s, ctx, patchAs("b", "p2", "stolen")), // lost lease
		queue(t, s, ctx, store.Mutation{Create: groupExecution("c1", "")}),
		queue(t, s, ctx, store.Mutation{Create: groupExecution("p3", "")}), // clashing id
		queue(t, s, ctx, store.Mutation{Create: groupExecution("c2", ""), // held dedupe key
			Dedupe: &store.DedupeKey{Scope: "wf", Key: "k"}}),
		queue(t, s, gone, store.Mutation{Create: groupExecution("c3", "")}), // caller left
		queue(t, s, ctx, patchAs("a", "p3", "three")),
	}
	if n := s.runQueued(ctx); n != len(jobs) {
		t.Fatalf("ran %d jobs, want %d", n, len(jobs))
	}
	want := []error{nil, weft.ErrLeaseLost, nil, weft.ErrConflict, weft.ErrDuplicate, context.Canceled, nil}
	for i, j := range jobs {
		if want[i] == nil && j.err != nil || !errors.Is(j.err, want[i]) {
			t.Fatalf("job %d: %v, want %v", i, j.err, want[i])
		}
	}
	if jobs[4].res.Existing != "held" {
		t.Fatalf("duplicate's existing execution %q, want held", jobs[4].res.Existing)
	}
	if g, r := s.group.groups.Load(), s.group.reruns.Load(); g != 0 || r != 1 {
		t.Fatalf("groups %d, reruns %d; want 0 and 1", g, r)
	}
	if output(t, s, "p1") != `"one"` || output(t, s, "p3") != `"three"` || stepRuns(t, s, "p3") != 1 {
		t.Fatal("a good write of the failed group is missing")
	}
	if output(t, s, "p2") != "" || stepRuns(t, s, "p2") != 0 {
		t.Fatal("the fenced write leaked")
	}
	if _, err := s.GetExecution(ctx, "c1"); err != nil {
		t.Fatalf("good create of the failed group: %v", err)
	}
	for _, id := range []string{"c2", "c3"} {
		if _, err := s.GetExecution(ctx, id); !errors.Is(err, weft.ErrNotFound) {
			t.Fatalf("%s: %v, want ErrNotFound", id, err)
		}
	}
	if n := transactions(t, s, "p1", "c1", "p3"); n != 3 {
		t.Fatalf("the rerun jobs were written by %d transactions, want 3", n)
	}
}

// Concurrent Applies that arrive while the only commit slot is busy wait
// and are then written together by one caller: one group, one transaction,
// each caller answered with its own outcome.
func TestGroupGathersConcurrentApplies(t *testing.T) {
	t.Parallel()
	const n = 40
	s := openInternal(t, Options{MaxWriters: 1, MaxBatch: 64})
	ctx := context.Background()
	if _, err := s.Apply(ctx, store.Mutation{Create: groupExecution("leased", "a")}); err != nil {
		t.Fatal(err)
	}
	s.group.slots <- struct{}{} // a group in flight
	var wg sync.WaitGroup
	errs := make([]error, n)
	ids := make([]string, 0, n)
	for i := range n {
		id := fmt.Sprintf("e%02d", i)
		if i != 7 {
			ids = append(ids, id)
		}
		wg.Go(func() {
			if i == 7 { // refused: rolls the group back
				_, errs[i] = s.Apply(ctx, patchAs("b", "leased", "x"))
				return
			}
			_, errs[i] = s.Apply(ctx, store.Mutation{Create: groupExecution(id, "")})
		})
	}
	for len(s.group.queue) < n {
		time.Sleep(time.Millisecond)
	}
	<-s.group.slots
	wg.Wait()
	for i, err := range errs {
		if i == 7 {
			if !errors.Is(err, weft.ErrLeaseLost) {
				t.Fatalf("fenced write: %v, want ErrLeaseLost", err)
			}
		} else if err != nil {
			t.Fatalf("create %d: %v", i, err)
		}
	}
	if g, r := s.group.groups.Load(), s.group.reruns.Load(); g != 0 || r != 1 {
		t.Fatalf("groups %d, reruns %d; want 0 and 1", g, r)
	}
	if got := transactions(t, s, ids...); got != n-1 {
		t.Fatalf("%d transactions after the rerun, want %d", got, n-1)
	}

	// Without the refused job the same crowd is one transaction.
	s.group.slots <- struct{}{}
	ids = ids[:0]
	for i := range n {
		id := fmt.Sprintf("f%02d", i)
		ids = append(ids, id)
		wg.Go(func() { _, errs[i] = s.Apply(ctx, store.Mutation{Create: groupExecution(id, "")}) })
	}
	for len(s.group.queue) < n {
		time.Sleep(time.Millisecond)
	}
	<-s.group.slots
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("create %d: %v", i, err)
		}
	}
	if got := transactions(t, s, ids...); got != 1 {
		t.Fatalf("%d transactions for one crowd, want 1", got)
	}
	if g := s.group.groups.Load(); g != 1 {
		t.Fatalf("groups %d, want 1", g)
	}
}

// Creates written together in one group read back exactly like a create
// written on its own, field by field, step runs included.
func TestGroupCreatesRoundTrip(t *testing.T) {
	t.Parallel()
	s := openInternal(t, Options{})
	ctx := context.Background()
	base := time.Date(2026, 3, 1, 12, 0, 0, 123456789, time.UTC)
	full := func(id string) store.Mutation {
		started, finished, wake, until := base.Add(time.Second+999), base.Add(2*time.Second), base.Add(time.Hour), base.Add(time.Minute)
		return store.Mutation{
			Create: &weft.Execution{ID: id, Workflow: "orders", WorkflowVersion: 7, Status: weft.ExecutionRunning,
				Trigger: weft.TriggerWebhook, Input: json.RawMessage(`{ "z": 1,  "a": [true, null, "ü"] }`),
				Output: json.RawMessage(`"done"`), Error: &weft.ErrorInfo{Code: "http_500", Message: "upstream failed"},
				ParentID: "parent-1", ParentStep: "call", CreatedAt: base, StartedAt: &started, FinishedAt: &finished,
				WakeAt: &wake, CancelRequested: true, LeaseOwner: "proc-a", LeaseUntil: &until,
				Response: json.RawMessage(`{"status":201}`), TraceParent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"},
			StepRuns: []weft.StepRun{
				{StepID: "a", Item: weft.WholeStep, Type: "http.request", Status: weft.StepFailed, Attempts: 3,
					Input: json.RawMessage(`{"u":1}`), Output: json.RawMessage(`[1,2]`), State: json.RawMessage(`{"page":2}`),
					Error: &weft.ErrorInfo{Code: "timeout", Message: "slow"}, StartedAt: &started, FinishedAt: &finished, WakeAt: &wake},
				{StepID: "a", Item: 3, Status: weft.StepSucceeded},
				{StepID: "b", Item: weft.WholeStep, Status: weft.StepRunning},
			},
		}
	}
	if _, err := s.Apply(ctx, full("alone")); err != nil {
		t.Fatal(err)
	}
	jobs := []*applyJob{queue(t, s, ctx, full("g1")), queue(t, s, ctx, full("g2")), queue(t, s, ctx, full("g3"))}
	s.runQueued(ctx)
	for _, j := range jobs {
		if j.err != nil {
			t.Fatalf("%s: %v", j.id, j.err)
		}
	}
	if n := transactions(t, s, "g1", "g2", "g3"); n != 1 {
		t.Fatalf("the group's creates were written by %d transactions, want 1", n)
	}
	want, err := s.GetExecution(ctx, "alone")
	if err != nil {
		t.Fatal(err)
	}
	wantRuns, err := s.GetStepRuns(ctx, "alone")
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"g1", "g2", "g3"} {
		got, err := s.GetExecution(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		got.ID = want.ID
		if g, w := fmt.Sprintf("%+v", got), fmt.Sprintf("%+v", want); g != w {
			t.Fatalf("%s read back as\n%s\nwant\n%s", id, g, w)
		}
		runs, err := s.GetStepRuns(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		for i := range runs {
			runs[i].ExecutionID = "alone"
		}
		if g, w := fmt.Sprintf("%+v", runs), fmt.Sprintf("%+v", wantRuns); len(runs) != 3 || g != w {
			t.Fatalf("%s step runs\n%s\nwant\n%s", id, g, w)
		}
	}
}

// A queue filled with jobs whose callers all left (their contexts ended
// while the database was slow) does not block the next caller: it runs a
// group itself, which answers the abandoned jobs without writing them,
// and then its own job is written.
func TestGroupQueueOfAbandonedJobsDoesNotBlock(t *testing.T) {
	t.Parallel()
	s := openInternal(t, Options{MaxWriters: 1, MaxBatch: 4})
	gone, cancel := context.WithCancel(context.Background())
	cancel()
	var abandoned []*applyJob
	for i := range cap(s.group.queue) {
		abandoned = append(abandoned, queue(t, s, gone, store.Mutation{Create: groupExecution(fmt.Sprintf("gone-%d", i), "")}))
	}
	ctx, stop := context.WithTimeout(context.Background(), 20*time.Second)
	defer stop()
	if _, err := s.Apply(ctx, store.Mutation{Create: groupExecution("next", "")}); err != nil {
		t.Fatalf("Apply behind a full queue of abandoned jobs: %v", err)
	}
	for i, j := range abandoned {
		select {
		case <-j.done:
		default:
			t.Fatalf("abandoned job %d never answered", i)
		}
		if !errors.Is(j.err, context.Canceled) {
			t.Errorf("abandoned job %d: %v, want context.Canceled", i, j.err)
		}
		if _, err := s.GetExecution(context.Background(), fmt.Sprintf("gone-%d", i)); !errors.Is(err, weft.ErrNotFound) {
			t.Errorf("abandoned job %d was written: %v", i, err)
		}
	}
}
