package api

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/weftworks/weft"
)

// A wait step's states as the engine publishes them: running attempt 1,
// suspended (waiting, attempt 0: a suspension is not an attempt), running
// attempt 1 again when it wakes, succeeded. The stream sends each once, in
// order, and drops a state older than one already sent (an engine event
// that waited in the buffer behind a store read).
func TestEventStreamStepStatesOfAWaitStep(t *testing.T) {
	t0 := time.Date(2026, 11, 29, 12, 0, 0, 123456789, time.UTC)
	run := func(status weft.StepStatus, attempts int, history ...string) weft.StepRun {
		r := weft.StepRun{ExecutionID: "ex", StepID: "pause", Item: weft.WholeStep, Status: status, Attempts: attempts, StartedAt: &t0}
		for i, outcome := range history {
			r.History = append(r.History, weft.Attempt{Attempt: 1, At: t0.Add(time.Duration(i+1) * time.Second), Outcome: outcome})
		}
		return r
	}
	running := run(weft.StepRunning, 1)
	waiting := run(weft.StepWaiting, 0, "waiting")
	woken := run(weft.StepRunning, 1, "waiting")
	done := run(weft.StepSucceeded, 1, "waiting", "succeeded")
	// As a store read gives it back (the stores keep the history's times
	// whole): the same state, not sent again.
	wokenStored := woken
	wokenStored.History = append([]weft.Attempt(nil), woken.History...)

	rec := httptest.NewRecorder()
	st := &sseStream{w: rec, rc: http.NewResponseController(rec), sent: map[string][]byte{}, steps: map[string]weft.StepRun{}}
	for _, r := range []weft.StepRun{running, waiting, woken, wokenStored, running, waiting, done, woken} {
		if err := st.step(r); err != nil {
			t.Fatal(err)
		}
	}
	var got []string
	for _, block := range strings.Split(strings.TrimSpace(rec.Body.String()), "\n\n") {
		data, ok := strings.CutPrefix(block, "event: step\ndata: ")
		if !ok {
			t.Fatalf("not a step event: %q", block)
		}
		var v struct {
			Status   string
			Attempts int
			History  []json.RawMessage
		}
		if err := json.Unmarshal([]byte(data), &v); err != nil {
			t.Fatal(err)
		}
		got = append(got, v.Status+" "+string(rune('0'+v.Attempts))+" "+string(rune('0'+len(v.History))))
	}
	want := []string{"running 1 0", "waiting 0 1", "running 1 1", "succeeded 1 2"}
	if strings.Join(got, ", ") != strings.Join(want, ", ") {
		t.Errorf("sent %v, want %v", got, want)
	}
}
