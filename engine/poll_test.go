package engine_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/engine"
)

// fakeJobs is a job API whose job reports done on its nth poll.
type fakeJobs struct {
	*httptest.Server
	mu    sync.Mutex
	polls map[string]int
	// answered holds, by job id, when each answer was sent.
	answered map[string][]time.Time
	n        int
}

func newFakeJobs(n int) *fakeJobs {
	f := &fakeJobs{polls: map[string]int{}, answered: map[string][]time.Time{}, n: n}
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := strings.TrimPrefix(r.URL.Path, "/jobs/")
		f.mu.Lock()
		f.polls[id]++
		p := f.polls[id]
		f.answered[id] = append(f.answered[id], time.Now())
		f.mu.Unlock()
		status := "running"
		if f.n > 0 && p >= f.n {
			status = "done"
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"id":%q,"status":%q,"poll":%d}`, id, status, p)
	}))
	return f
}

const pollFlow = `
name: poll
steps:
  - id: job
    uses: http.request
    with:
      url: "%s/jobs/{{ trigger.id }}"
      until: "{{ response.body.status == 'done' }}"
      every: "{{ trigger.every }}"
      until_timeout: "{{ trigger.deadline }}"
`

// TestPollUntilParksBetweenPolls: jobs that finish on their 3rd poll; with
// one slot, two polling executions both finish (a poll that held its slot
// would serialize them), every: 1ms is raised to the 1s minimum, and the
// output is the answer that satisfied until.
func TestPollUntilParksBetweenPolls(t *testing.T) {
	t.Parallel()
	jobs := newFakeJobs(3)
	defer jobs.Close()
	b, _ := withEvents(t, eventsDefaults(), func(c *engine.Config) { c.MaxRunning = 1 })
	b.put(t, fmt.Sprintf(pollFlow, jobs.URL))
	a := start(t, b, "poll", `{"id":"a","every":"1ms","deadline":"1m"}`)
	c := start(t, b, "poll", `{"id":"c","every":"1s","deadline":"1m"}`)
	sawParked := false
	for _, id := range []string{a, c} {
		for !sawParked {
			ex, err := b.store.GetExecution(context.Background(), id)
			if err != nil {
				t.Fatal(err)
			}
			if ex.Status == weft.ExecutionWaiting && ex.LeaseOwner == "" {
				sawParked = true
			}
			if ex.Status.Finished() {
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	if !sawParked {
		t.Fatal("a polling execution was never parked (waiting, no lease) between polls")
	}
	for _, id := range []string{a, c} {
		ex := finished(t, b, id)
		if ex.Status != weft.ExecutionSucceeded {
			t.Fatalf("%s: %s %+v", id, ex.Status, ex.Error)
		}
		body := decode(t, ex.Output).(map[string]any)["body"].(map[string]any)
		if body["status"] != "done" || body["poll"] != 3.0 {
			t.Fatalf("output body = %v, want the 3rd, done answer", body)
		}
	}
	run := b.steps(t, a)["job"]
	waits := 0
	for _, h := range run.History {
		if h.Outcome == "waiting" {
			waits++
			if h.Reason != "poll" {
				t.Fatalf("pause reason = %q, want poll", h.Reason)
			}
		}
	}
	if waits != 2 {
		t.Fatalf("%d pauses recorded, want 2 (3 polls)", waits)
	}
	// The pause runs from an answer to the next request: every request
	// after the first comes at least the 1s minimum after the one before
	// it was answered. (The pause recorded in the history is counted from
	// when the engine wrote it down, later than the step chose it by however
	// long the engine took to get there, so it is not checked against 1s.)
	jobs.mu.Lock()
	at := append([]time.Time(nil), jobs.answered["a"]...)
	jobs.mu.Unlock()
	if len(at) != 3 {
		t.Fatalf("job a was polled %d times, want 3", len(at))
	}
	for i := 1; i < len(at); i++ {
		if gap := at[i].Sub(at[i-1]); gap < time.Second {
			t.Fatalf("poll %d of job a came %s after the answer to poll %d, want the 1s minimum", i+1, gap, i)
		}
	}
}

// TestPollUntilDeadline: a job that never finishes fails with poll_timeout
// once until_timeout passes, and hostile until_timeout values are refused.
func TestPollUntilDeadline(t *testing.T) {
	t.Parallel()
	jobs := newFakeJobs(0)
	defer jobs.Close()
	b, _ := withEvents(t, eventsDefaults())
	b.put(t, fmt.Sprintf(pollFlow, jobs.URL))
	ex := finished(t, b, start(t, b, "poll", `{"id":"x","every":"1s","deadline":"2s"}`))
	if ex.Status != weft.ExecutionFailed || ex.Error == nil || ex.Error.Code != "poll_timeout" {
		t.Fatalf("never-done job: %s %+v", ex.Status, ex.Error)
	}
	jobs.mu.Lock()
	polls := jobs.polls["x"]
	jobs.mu.Unlock()
	if polls < 2 || polls > 4 {
		t.Fatalf("%d polls in a 2s deadline at 1s, want 2 to 4", polls)
	}
	ex = finished(t, b, start(t, b, "poll", `{"id":"y","every":"1s","deadline":"9999d"}`))
	if ex.Status != weft.ExecutionFailed || ex.Error == nil || !strings.Contains(ex.Error.Message, "until_timeout") {
		t.Fatalf("hostile deadline: %s %+v", ex.Status, ex.Error)
	}
}
