package core

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/weftworks/weft/connectors/internal/input"
	"github.com/weftworks/weft/step"
)

// eventRecheck is the fallback re-check of a step waiting for an event: a
// publish wakes the execution at once in any process, so this only bounds
// the delay when that wake-up was missed.
const eventRecheck = time.Minute

// maxEventTimeout bounds timeout: a wait is a row, not a worker, but it
// should not outlive everything else.
const maxEventTimeout = 365 * 24 * time.Hour

// eventWait is a wait for an event or a resume call, as fixed on its first run.
type eventWait struct {
	Deadline time.Time `json:"deadline"`
	Name     string    `json:"name"`
	Key      string    `json:"key"`
	Continue bool      `json:"continue,omitempty"`
	Match    bool      `json:"match,omitempty"`
	Reason   string    `json:"reason"`
	Timeout  string    `json:"timeout"`
}

// eventMode reports whether the wait is for an event or a resume call and,
// on the first run, fixes what it waits for.
func (h wait) eventMode(req *step.Request) (eventWait, bool, error) {
	if req.State != nil {
		var st eventWait
		if err := json.Unmarshal(req.State, &st); err == nil && st.Name != "" {
			return st, true, nil
		}
		return eventWait{}, false, nil
	}
	in := input.New(&h.spec, req.With)
	hasEvent := in.Has("event")
	resume := false
	if in.Has("resume") {
		b, err := in.Bool("resume")
		if err != nil {
			return eventWait{}, false, err
		}
		resume = b
	}
	if !hasEvent && !resume {
		return eventWait{}, false, nil
	}
	if in.Has("for") || in.Has("until") || (hasEvent && resume) {
		return eventWait{}, false, step.Errorf(input.CodeValidation, "wait: give one of `for`, `until`, `event` or `resume: true`; "+
			"an event or resume wait ends at `timeout`")
	}
	timeout, err := in.Duration("timeout")
	if err != nil {
		return eventWait{}, false, err
	}
	if timeout <= 0 || timeout > maxEventTimeout {
		return eventWait{}, false, input.Invalid("timeout", "must be between 1s and 365d, not %s", timeout)
	}
	onTimeout, err := in.String("on_timeout")
	if err != nil {
		return eventWait{}, false, err
	}
	st := eventWait{Deadline: clock(req.Env)().Add(timeout).UTC(), Continue: onTimeout == "continue", Timeout: timeout.String()}
	if resume {
		st.Name, st.Key, st.Reason = step.EventResume, step.ResumeKey(req.ExecutionID, req.StepID, req.Item), "resume_url"
		return st, true, nil
	}
	if st.Name, err = in.String("event"); err != nil {
		return eventWait{}, false, err
	}
	if in.Has("key") {
		v, _, _ := in.Value("key")
		if st.Key, err = input.Scalar(v); err != nil {
			return eventWait{}, false, input.Invalid("key", "must be a string or a number: %v", err)
		}
	}
	st.Match = in.Has("match")
	st.Reason = "event:" + st.Name
	return st, true, nil
}

func (st eventWait) run(ctx context.Context, req *step.Request, now time.Time) (step.Result, error) {
	if req.Env == nil || req.Env.Events == nil {
		return step.Result{}, step.Errorf("not_configured", "wait: this process cannot wait for events")
	}
	ev := req.Env.Events
	if req.State == nil {
		if err := ev.Wait(ctx, req, step.Wait{Name: st.Name, Key: st.Key, Expires: st.Deadline.Add(time.Hour)}); err != nil {
			return step.Result{}, step.Retryable(fmt.Errorf("wait: recording the wait for %q: %w", st.Name, err), 0)
		}
	}
	var accept func(any) (bool, error)
	if st.Match && req.Eval != nil {
		accept = func(payload any) (bool, error) {
			v, _, err := req.Eval(ctx, "match", map[string]any{"event": payload})
			if err != nil {
				return false, err
			}
			b, ok := v.(bool)
			return ok && b, nil
		}
	}
	got, ok, err := ev.Take(ctx, req, st.Name, st.Key, accept)
	if err != nil {
		return step.Result{}, step.Retryable(fmt.Errorf("wait: looking for event %q: %w", st.Name, err), 0)
	}
	if ok {
		_ = ev.Done(ctx, req) // a leftover row expires on its own
		var out any
		if err := json.Unmarshal(got.Payload, &out); err != nil {
			return step.Result{}, fmt.Errorf("wait: decoding event %s: %w", got.ID, err)
		}
		return step.Result{Output: out}, nil
	}
	if !now.Before(st.Deadline) {
		_ = ev.Done(ctx, req)
		if st.Continue {
			return step.Result{Output: map[string]any{"timed_out": true}}, nil
		}
		what := fmt.Sprintf("event %q (key %q)", st.Name, st.Key)
		if st.Name == step.EventResume {
			what = "a call of its resume URL"
		}
		return step.Result{}, step.Errorf("wait_timeout", "wait: no %s arrived within %s; raise `timeout` or set `on_timeout: continue`", what, st.Timeout)
	}
	return step.Result{Suspend: &step.Suspend{Until: minTime(st.Deadline, now.Add(eventRecheck)), State: st, Reason: st.Reason}}, nil
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}
