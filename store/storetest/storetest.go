package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/store"
)

// Run runs the conformance suite. open must return a fresh, empty store and
// close it (and drop its data) in t.Cleanup. Subtests run in parallel, so
// open is called concurrently.
func Run(t *testing.T, open func(t *testing.T) store.Store) {
	t.Helper()
	for _, group := range []struct {
		name  string
		tests map[string]func(t *testing.T, s store.Store)
	}{
		{"Workflows", workflowTests()},
		{"Apply", applyTests()},
		{"InlineStepRuns", inlineStepTests()},
		{"Dedupe", dedupeTests()},
		{"List", listTests()},
		{"Search", searchTests()},
		{"Claim", claimTests()},
		{"Wake", wakeTests()},
		{"Lifecycle", lifecycleTests()},
		{"Concurrency", concurrencyTests()},
		{"Settings", settingsTests()},
		{"Stats", statsTests()},
		{"Events", eventTests()},
		{"Polls", pollTests()},
		{"Cluster", clusterTests()},
		{"Alerts", alertTests()},
		{"Identity", identityTests()},
		{"Audit", auditTests()},
		{"Registrations", registrationTests()},
		{"MCPTools", mcpToolTests()},
	} {
		t.Run(group.name, func(t *testing.T) {
			t.Parallel()
			for name, test := range group.tests {
				t.Run(name, func(t *testing.T) {
					t.Parallel()
					test(t, open(t))
				})
			}
		})
	}
}

// base is a fixed instant with sub-microsecond digits, so that every test
// also checks that stores keep microseconds and drop the rest.
var base = time.Date(2025, 3, 14, 15, 9, 26, 535897932, time.UTC)

func at(d time.Duration) time.Time { return base.Add(d) }

func ctxFor(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// newExecution is a queued execution of workflow created at created.
func newExecution(id, workflow string, created time.Time) *weft.Execution {
	return &weft.Execution{
		ID:              id,
		Workflow:        workflow,
		WorkflowVersion: 1,
		Status:          weft.ExecutionQueued,
		Trigger:         weft.TriggerManual,
		Input:           json.RawMessage(`{"id":"` + id + `"}`),
		TraceParent:     "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
		CreatedAt:       created,
	}
}

func mustCreate(t *testing.T, s store.Store, e *weft.Execution) {
	t.Helper()
	if _, err := s.Apply(ctxFor(t), store.Mutation{Create: e, ExecutionID: e.ID}); err != nil {
		t.Fatalf("creating %s: %v", e.ID, err)
	}
}

func mustApply(t *testing.T, s store.Store, m store.Mutation) {
	t.Helper()
	if _, err := s.Apply(ctxFor(t), m); err != nil {
		t.Fatalf("Apply(%s): %v", m.ExecutionID, err)
	}
}

func mustGet(t *testing.T, s store.Store, id string) weft.Execution {
	t.Helper()
	e, err := s.GetExecution(ctxFor(t), id)
	if err != nil {
		t.Fatalf("GetExecution(%s): %v", id, err)
	}
	return e
}

func wantErr(t *testing.T, err, target error, what string) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("%s: got error %v, want %v", what, err, target)
	}
}

func wantNotFound(t *testing.T, s store.Store, id string) {
	t.Helper()
	_, err := s.GetExecution(ctxFor(t), id)
	wantErr(t, err, weft.ErrNotFound, "GetExecution("+id+")")
}

// stored is what a store must give back for e: times at microsecond
// precision in UTC, empty payloads as nil.
func stored(e weft.Execution) weft.Execution {
	e.CreatedAt = utc(e.CreatedAt)
	e.StartedAt, e.FinishedAt, e.WakeAt, e.LeaseUntil = utcPtr(e.StartedAt), utcPtr(e.FinishedAt), utcPtr(e.WakeAt), utcPtr(e.LeaseUntil)
	e.Input, e.Output, e.Response = nilIfEmpty(e.Input), nilIfEmpty(e.Output), nilIfEmpty(e.Response)
	return e
}

func storedStep(r weft.StepRun) weft.StepRun {
	r.StartedAt, r.FinishedAt, r.WakeAt = utcPtr(r.StartedAt), utcPtr(r.FinishedAt), utcPtr(r.WakeAt)
	r.Input, r.Output, r.State = nilIfEmpty(r.Input), nilIfEmpty(r.Output), nilIfEmpty(r.State)
	return r
}

func utc(t time.Time) time.Time { return t.Truncate(time.Microsecond).UTC() }

func utcPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := utc(*t)
	return &u
}

func nilIfEmpty(b json.RawMessage) json.RawMessage {
	if len(b) == 0 {
		return nil
	}
	return b
}

func equal[T any](t *testing.T, what string, got, want T) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("%s:\n got  %s\n want %s", what, dump(got), dump(want))
	}
}

func dump(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprintf("%#v", v)
	}
	return string(b)
}

func ids(es []weft.Execution) []string {
	out := make([]string, len(es))
	for i := range es {
		out[i] = es[i].ID
	}
	return out
}
