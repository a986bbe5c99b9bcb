package api

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/engine"
)

// executionEvents streams an execution's progress as Server-Sent Events:
// the current execution and step runs first, then `event: step` and
// `event: execution` as they change, `event: progress` for live output of
// running steps (not stored), and `event: end` once it finished.
//
// Events come from the engine of this process; the store is also re-read
// every Poll, since the execution may run in another process. Both feed the
// same de-duplication, so a client sees each state once.
func (s *server) executionEvents(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	id := r.PathValue("id")
	// Subscribe before the first read so no change falls in between.
	events, stop := s.engine.Subscribe(id)
	defer stop()
	ex, err := s.store.GetExecution(ctx, id)
	if err != nil {
		writeError(w, r, s.log, err)
		return
	}
	rc := http.NewResponseController(w)
	_ = rc.SetWriteDeadline(time.Time{}) // the stream outlives the server's write timeout
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("Connection", "keep-alive")
	h.Set("X-Accel-Buffering", "no") // nginx: do not buffer the stream
	w.WriteHeader(http.StatusOK)

	st := &sseStream{w: w, rc: rc, sent: map[string][]byte{}, steps: map[string]weft.StepRun{}}
	if err := s.sendSnapshot(ctx, st, ex); err != nil {
		return
	}
	keepAlive := time.NewTicker(s.cfg.KeepAlive)
	defer keepAlive.Stop()
	poll := time.NewTicker(s.cfg.Poll)
	defer poll.Stop()
	for !st.finished {
		select {
		case <-ctx.Done():
			return
		case ev := <-events:
			err = s.sendEvent(ctx, st, ev)
		case <-poll.C:
			ex, err = s.store.GetExecution(ctx, id)
			if err == nil {
				err = s.sendSnapshot(ctx, st, ex)
			}
		case <-keepAlive.C:
			err = st.comment("keep-alive")
		}
		if err != nil {
			if ctx.Err() == nil {
				s.log.Debug("event stream ended", "execution_id", id, "err", err)
			}
			return
		}
	}
	_ = st.write("end", []byte("{}"))
}

func (s *server) sendEvent(ctx context.Context, st *sseStream, ev engine.Event) error {
	switch {
	case ev.Progress != nil:
		// Live progress of a running step (AI token deltas): never stored,
		// never de-duplicated.
		b, err := json.Marshal(ev.Progress)
		if err != nil {
			return err
		}
		return st.write("progress", b)
	case ev.Step != nil:
		return st.step(*ev.Step)
	case ev.Execution != nil:
		if ev.Execution.Status.Finished() {
			// Read the final record: step events may have been dropped, and
			// the client gets every step's last state before the end.
			return s.sendSnapshotOf(ctx, st, ev.Execution.ID)
		}
		return st.execution(*ev.Execution)
	}
	return nil
}

func (s *server) sendSnapshotOf(ctx context.Context, st *sseStream, id string) error {
	ex, err := s.store.GetExecution(ctx, id)
	if err != nil {
		return err
	}
	return s.sendSnapshot(ctx, st, ex)
}

// sendSnapshot sends the step runs that changed, then the execution.
func (s *server) sendSnapshot(ctx context.Context, st *sseStream, ex weft.Execution) error {
	runs, err := s.store.GetStepRuns(ctx, ex.ID)
	if err != nil {
		return err
	}
	for _, r := range runs {
		if err := st.step(r); err != nil {
			return err
		}
	}
	return st.execution(ex)
}

// sseStream writes events, skipping any whose content was already sent.
type sseStream struct {
	w        http.ResponseWriter
	rc       *http.ResponseController
	sent     map[string][]byte // last data sent per execution / step run
	steps    map[string]weft.StepRun
	finished bool
}

func (st *sseStream) step(r weft.StepRun) error {
	// The engine's events carry nanosecond times, the stores keep
	// microseconds: without this the final re-read before end differs from
	// what the events said and every finished step is sent twice.
	r.StartedAt, r.FinishedAt, r.WakeAt = micro(r.StartedAt), micro(r.FinishedAt), micro(r.WakeAt)
	v := newStepRunView(r)
	// An engine event can be older than a store read already sent (events
	// wait in a buffer): never move a step run back.
	if prev, ok := st.steps[v.ID]; ok && older(r, prev) {
		return nil
	}
	st.steps[v.ID] = r
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return st.once("step:"+v.ID, "step", b, b)
}

func (st *sseStream) execution(ex weft.Execution) error {
	b, err := json.Marshal(ex)
	if err != nil {
		return err
	}
	// Lease renewals change nothing a client shows: compare without them.
	key := ex
	key.LeaseOwner, key.LeaseUntil = "", nil
	kb, _ := json.Marshal(key)
	if err := st.once("execution", "execution", b, kb); err != nil {
		return err
	}
	if ex.Status.Finished() {
		st.finished = true
	}
	return nil
}

// older reports whether a is an earlier state of the same step run than b.
//
// The history goes first: a suspension is not an attempt, so a wait step
// that suspends goes from running attempt 1 to waiting with attempt 0, and
// only the history entry the suspension added says that the waiting state
// is the newer one. Without it the waiting state was dropped after a
// snapshot of the running one, and a client saw "running" twice.
func older(a, b weft.StepRun) bool {
	if la, lb := lastHistoryAt(a), lastHistoryAt(b); !la.Equal(lb) {
		return la.Before(lb)
	}
	if a.Attempts != b.Attempts {
		return a.Attempts < b.Attempts
	}
	return stepRank(a.Status) < stepRank(b.Status)
}

// lastHistoryAt is the time of a step run's newest history entry, in the
// microseconds the stores keep; zero when it has none.
func lastHistoryAt(r weft.StepRun) time.Time {
	if len(r.History) == 0 {
		return time.Time{}
	}
	return r.History[len(r.History)-1].At.Truncate(time.Microsecond)
}

func stepRank(s weft.StepStatus) int {
	switch {
	case s == weft.StepPending:
		return 0
	case s.Finished():
		return 2
	}
	return 1
}

func (st *sseStream) once(key, event string, data, compare []byte) error {
	if prev, ok := st.sent[key]; ok && bytes.Equal(prev, compare) {
		return nil
	}

	st.sent[key] = compare
	return st.write(event, data)
}

func (st *sseStream) write(event string, data []byte) error {
	if _, err := fmt.Fprintf(st.w, "event: %s\ndata: %s\n\n", event, data); err != nil {
		return err
	}
	return st.rc.Flush()
}

func (st *sseStream) comment(text string) error {
	if _, err := fmt.Fprintf(st.w, ": %s\n\n", text); err != nil {
		return err
	}
	return st.rc.Flush()
}

// micro truncates t to the microseconds the stores keep.
func micro(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.Truncate(time.Microsecond)
	return &u
}
