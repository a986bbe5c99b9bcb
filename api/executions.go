package api

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/engine"
	"github.com/weftworks/weft/store"
)

// maxWait bounds ?wait= on POST /api/v1/workflows/{name}/executions.
const maxWait = 5 * time.Minute

// executionView is an execution with every step run: the shape of GET
// /api/v1/executions/{id} and of a finished ?wait= start.
type executionView struct {
	weft.Execution
	Steps []stepRunView `json:"steps"`
}

// stepRunView is a step run with its stable id. The step's private State
// is left out: it is bookkeeping for the step, not a result.
type stepRunView struct {
	ID string `json:"id"`
	weft.StepRun
}

func newStepRunView(r weft.StepRun) stepRunView {
	r.State = nil
	return stepRunView{ID: r.ID(), StepRun: r}
}

func (s *server) executionWithSteps(ctx context.Context, ex weft.Execution) (executionView, error) {
	runs, err := s.store.GetStepRuns(ctx, ex.ID)
	if err != nil {
		return executionView{}, err
	}
	v := executionView{Execution: ex, Steps: make([]stepRunView, len(runs))}
	for i, r := range runs {
		v.Steps[i] = newStepRunView(r)
	}
	return v, nil
}

func executionURL(id string) string { return "/api/v1/executions/" + url.PathEscape(id) }

// startExecution starts a manual execution. Disabled workflows can still be
// started by hand: `enabled` governs triggers (webhooks, schedules).
func (s *server) startExecution(w http.ResponseWriter, r *http.Request) {
	var wait time.Duration
	if v := r.URL.Query().Get("wait"); v != "" {
		d, err := weft.ParseDuration(v)
		if err != nil {
			writeError(w, r, s.log, invalidParam("wait", "%v", err))
			return
		}
		if d.D() > maxWait {
			writeError(w, r, s.log, invalidParam("wait", "%s is longer than the maximum of %s; wait less and poll GET /api/v1/executions/{id}", v, maxWait))
			return
		}
		wait = d.D()
	}
	input, err := readJSON(r, "{}")
	if err != nil {
		writeError(w, r, s.log, err)
		return
	}
	started, err := s.engine.Start(r.Context(), engine.StartRequest{
		Workflow: r.PathValue("name"),
		Input:    input,
		Trigger:  weft.TriggerManual,
		// A caller that traces its own work (a CI job) sees the run in
		// its trace.
		TraceParent: r.Header.Get("traceparent"),
	})
	if err != nil {
		writeError(w, r, s.log, err)
		return
	}
	ex := started.Execution
	w.Header().Set("Location", executionURL(ex.ID))
	if wait > 0 {
		ctx, cancel := context.WithTimeout(r.Context(), wait)
		done, err := s.engine.Wait(ctx, ex.ID)
		cancel()
		switch {
		case err == nil:
			v, err := s.executionWithSteps(r.Context(), done)
			if err != nil {
				writeError(w, r, s.log, err)
				return
			}
			writeJSON(w, http.StatusOK, v)
			return
		case errors.Is(err, context.DeadlineExceeded) && r.Context().Err() == nil:
			if done.ID != "" {
				ex = done
			}
		default:
			writeError(w, r, s.log, err)
			return
		}
	}
	writeJSON(w, http.StatusAccepted, ex)
}

func (s *server) listExecutions(w http.ResponseWriter, r *http.Request) {
	p, err := page(r)
	if err != nil {
		writeError(w, r, s.log, err)
		return
	}
	if q := r.URL.Query(); q.Has("from") || q.Has("to") || q.Has("id_prefix") || q.Has("input") {
		s.searchExecutions(w, r, p)
		return
	}
	f := store.ExecutionFilter{Workflow: r.URL.Query().Get("workflow"), Page: p}
	if v := r.URL.Query().Get("status"); v != "" {
		st := weft.ExecutionStatus(v)
		if !st.Valid() {
			e := invalidParam("status", "%q is not an execution status; use one of %s", v, quoteList(executionStatuses))
			e.Details = executionStatuses
			writeError(w, r, s.log, e)
			return
		}
		f.Status = st
	}
	items, next, err := s.store.ListExecutions(r.Context(), f)
	if err != nil {
		writeError(w, r, s.log, err)
		return
	}
	writeJSON(w, http.StatusOK, newList(items, next))
}

var executionStatuses = []string{
	string(weft.ExecutionQueued), string(weft.ExecutionRunning), string(weft.ExecutionWaiting),
	string(weft.ExecutionSucceeded), string(weft.ExecutionFailed), string(weft.ExecutionCanceled),
}

func (s *server) getExecution(w http.ResponseWriter, r *http.Request) {
	ex, err := s.store.GetExecution(r.Context(), r.PathValue("id"))
	if err != nil {
		writeError(w, r, s.log, err)
		return
	}
	v, err := s.executionWithSteps(r.Context(), ex)
	if err != nil {
		writeError(w, r, s.log, err)
		return
	}
	s.withPendingSteps(r.Context(), &v)
	writeJSON(w, http.StatusOK, v)
}

func (s *server) cancelExecution(w http.ResponseWriter, r *http.Request) {
	ex, err := s.engine.Cancel(r.Context(), r.PathValue("id"))
	if err != nil {
		writeError(w, r, s.log, err)
		return
	}
	s.audit(r, "execution.canceled", ex.ID, map[string]any{"workflow": ex.Workflow})
	writeJSON(w, http.StatusOK, ex)
}

// retryExecution resumes a failed execution from its failed step; 409 if
// it has not failed.
func (s *server) retryExecution(w http.ResponseWriter, r *http.Request) {
	ex, err := s.engine.RetryBy(r.Context(), r.PathValue("id"), principalOr(r))
	if err != nil {
		writeError(w, r, s.log, err)
		return
	}
	s.audit(r, "execution.retried", ex.ID, map[string]any{"workflow": ex.Workflow})
	writeJSON(w, http.StatusOK, ex)
}
