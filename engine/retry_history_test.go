package engine_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/weftworks/weft"
)

// A retry keeps what it replaces: the failed run (its times, error and the
// failed step's attempts) stays in Execution.Retries with who retried it,
// and the new run starts its own clock.
func TestRetryKeepsFailedAttempts(t *testing.T) {
	t.Parallel()
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) <= 2 {
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = w.Write([]byte("down"))
			return
		}
		_, _ = w.Write([]byte("up"))
	}))
	defer srv.Close()
	b := setup(t)
	b.put(t, `
name: flaky
steps:
  - id: call
    uses: http.request
    with: { url: "`+srv.URL+`" }
    retry: { max_attempts: 2, backoff: fixed, initial: 10ms }
`)
	failed, _ := b.run(t, "flaky", `{}`)
	if failed.Status != weft.ExecutionFailed || failed.StartedAt == nil || failed.FinishedAt == nil {
		t.Fatalf("first run: %s", failed.Status)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	reset, err := b.eng.RetryBy(ctx, failed.ID, "admin token")
	if err != nil {
		t.Fatal(err)
	}
	if len(reset.Retries) != 1 {
		t.Fatalf("retries after the reset: %+v", reset.Retries)
	}
	ex, err := b.eng.Wait(ctx, failed.ID)
	if err != nil || ex.Status != weft.ExecutionSucceeded {
		t.Fatalf("after retry: %s %v %+v", ex.Status, err, ex.Error)
	}
	if len(ex.Retries) != 1 {
		t.Fatalf("the failed run is gone after the retry succeeded: %+v", ex.Retries)
	}
	prior := ex.Retries[0]
	if prior.Run != 1 || prior.Status != weft.ExecutionFailed || prior.RetriedBy != "admin token" || prior.Error == nil {
		t.Fatalf("prior run: %+v", prior)
	}
	if len(prior.Steps) != 1 || prior.Steps[0].StepID != "call" || len(prior.Steps[0].History) != 2 ||
		prior.Steps[0].History[0].Outcome != "retry" || prior.Steps[0].History[1].Outcome != "failed" {
		t.Fatalf("the failed attempts of step call were not kept: %+v", prior.Steps)
	}
	// The new run's duration is its own, not the span since the first start.
	if ex.StartedAt == nil || ex.StartedAt.Before(prior.RetriedAt) {
		t.Fatalf("the retried run starts at %v, before the retry at %v", ex.StartedAt, prior.RetriedAt)
	}
	if !prior.StartedAt.Equal(*failed.StartedAt) {
		t.Fatalf("the first run's start changed: %v, was %v", prior.StartedAt, failed.StartedAt)
	}
	// The step run of the new run has only the new attempt.
	if got := b.steps(t, ex.ID)["call"]; got.Status != weft.StepSucceeded || len(got.History) != 1 || got.Attempts != 1 {
		t.Fatalf("step run after retry: %+v", got)
	}
}
