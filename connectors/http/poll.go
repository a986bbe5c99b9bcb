package http

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/weftworks/weft/connectors/internal/input"
	"github.com/weftworks/weft/step"
)

// Poll bounds: a pause shorter than minEvery is raised to it (a hostile
// `every: 1ms` must not turn into a busy loop against the API and the
// store), and polling lasts at most maxUntilTimeout.
const (
	minEvery        = time.Second
	maxUntilTimeout = 30 * 24 * time.Hour
)

// pollState is what a polling http.request keeps between polls. The
// rate limiter passes it through when it makes the step wait.
type pollState struct {
	Deadline time.Time `json:"poll_deadline"`
	Polls    int       `json:"polls"`
}

// poll makes the request, and until `until` accepts the answer, parks the
// execution for `every` and makes it again.
func (h *requester) poll(ctx context.Context, req *step.Request) (step.Result, error) {
	in := input.New(&h.spec, req.With)
	every, err := in.Duration("every")
	if err != nil {
		return step.Result{}, err
	}
	every = max(every, minEvery)
	now := time.Now()
	if req.Env != nil && req.Env.Now != nil {
		now = req.Env.Now()
	}
	var st pollState
	if req.State != nil {
		if err := json.Unmarshal(req.State, &st); err != nil {
			return step.Result{}, fmt.Errorf("http.request: reading saved poll state: %w", err)
		}
	}
	if st.Deadline.IsZero() {
		limit, err := in.Duration("until_timeout")
		if err != nil {
			return step.Result{}, err
		}
		if limit <= 0 || limit > maxUntilTimeout {
			return step.Result{}, input.Invalid("until_timeout", "must be between 1s and 30d, not %s", limit)
		}
		st.Deadline = now.Add(limit).UTC()
		b, _ := json.Marshal(st)
		req.State = b // the limiter hands it back when it makes the step wait
	}
	res, err := h.once(ctx, req)
	if err != nil || res.Suspend != nil {
		return res, err
	}
	st.Polls++
	if req.Eval == nil {
		return step.Result{}, step.Errorf("not_configured", "http.request: until needs an engine that evaluates it")
	}
	v, _, err := req.Eval(ctx, "until", map[string]any{"response": res.Output})
	if err != nil {
		return step.Result{}, step.Errorf("expression", "http.request: %v", err)
	}
	if done, _ := v.(bool); done {
		return res, nil
	}
	// `every` is the pause between one answer and the next request, so a
	// slow API is not polled back to back.
	if req.Env != nil && req.Env.Now != nil {
		now = req.Env.Now()
	} else {
		now = time.Now()
	}
	if !now.Before(st.Deadline) {
		return step.Result{}, step.Errorf("poll_timeout", "http.request: `until` was still false after %d polls, when until_timeout passed; "+
			"raise until_timeout or check the expression against the last answer", st.Polls)
	}
	next := now.Add(every)
	if next.After(st.Deadline) {
		next = st.Deadline
	}
	return step.Result{Suspend: &step.Suspend{Until: next, State: st, Reason: "poll", Park: true}}, nil
}
