package steptest

import (
	"context"
	"encoding/json"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/step"
)

// Identifiers NewRequest puts on every request.
const (
	Workflow    = "test-workflow"
	ExecutionID = "exec-1"
	StepID      = "step-1"
)

// Epoch is the instant every fresh Clock starts at.
func Epoch() time.Time { return time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC) }

// Clock is a settable clock for Env.Now; safe for concurrent use.
type Clock struct {
	mu  sync.Mutex
	now time.Time
}

// NewClock returns a clock standing at t.
func NewClock(t time.Time) *Clock { return &Clock{now: t} }

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock forward by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// Env is a fake step.Env together with handles on its fakes.
type Env struct {
	*step.Env
	Clock     *Clock
	Workflows *Workflows
}

// NewEnv returns an Env with a Clock at Epoch, a discarding logger, an empty
// Workflows fake and no HTTP client (set Env.HTTP to an httptest client).
func NewEnv() *Env {
	clock := NewClock(Epoch())
	wf := NewWorkflows()
	return &Env{
		Env: &step.Env{
			Logger:    slog.New(slog.DiscardHandler),
			Workflows: wf,
			Now:       clock.Now,
		},
		Clock:     clock,
		Workflows: wf,
	}
}

// NewRequest returns a first-attempt request for the whole step StepID of
// execution ExecutionID, with a fresh NewEnv. To reach the fakes (advance
// the clock, finish a child workflow), build the Env with NewEnv and use
// NewRequestIn.
func NewRequest(with map[string]any) *step.Request {
	return NewRequestIn(NewEnv(), with)
}

// NewRequestIn is NewRequest with a given Env.
func NewRequestIn(env *Env, with map[string]any) *step.Request {
	if with == nil {
		with = map[string]any{}
	}
	return &step.Request{
		Workflow:       Workflow,
		ExecutionID:    ExecutionID,
		StepID:         StepID,
		Item:           weft.WholeStep,
		With:           with,
		Attempt:        1,
		IdempotencyKey: weft.StepRunID(ExecutionID, StepID, weft.WholeStep),
		Env:            env.Env,
	}
}

// Run runs the handler of typ once, as the engine would: it sets req.Type,
// then checks that the result can be stored (Output and Suspend.State marshal
// to JSON, a suspension has a deadline, a Pure step never suspends) and
// returns the result with Output as it will read back from the store.
func Run(t testing.TB, reg *step.Registry, typ string, req *step.Request) (step.Result, error) {
	t.Helper()
	r, ok := reg.Lookup(typ)
	if !ok {
		t.Fatalf("step type %q is not registered", typ)
	}
	req.Type = typ
	ctx := context.Background()
	if tt, ok := t.(interface{ Context() context.Context }); ok {
		ctx = tt.Context()
	}
	res, err := r.Handler.Run(ctx, req)
	if err != nil {
		if res.Output != nil || res.Suspend != nil {
			t.Errorf("%s: returned a result together with error %v", typ, err)
		}
		return step.Result{}, err
	}
	if res.Suspend != nil {
		if r.Spec.Pure {
			t.Errorf("%s: a Pure step must not suspend", typ)
		}
		if res.Suspend.Until.IsZero() {
			t.Errorf("%s: Suspend.Until is zero", typ)
		}
		if res.Output != nil {
			t.Errorf("%s: returned Output together with Suspend", typ)
		}
		if _, merr := json.Marshal(res.Suspend.State); merr != nil {
			t.Errorf("%s: Suspend.State does not marshal to JSON: %v", typ, merr)
		}
		return res, nil
	}
	b, merr := json.Marshal(res.Output)
	if merr != nil {
		t.Errorf("%s: Output does not marshal to JSON: %v", typ, merr)
		return res, nil
	}
	var stored any
	if uerr := json.Unmarshal(b, &stored); uerr != nil {
		t.Errorf("%s: Output does not read back from JSON: %v", typ, uerr)
	}
	res.Output = stored
	return res, nil
}

// Resume returns the request the engine sends when a suspended step runs
// again: a copy of req whose State is res.Suspend.State as stored (JSON).
func Resume(t testing.TB, req *step.Request, res step.Result) *step.Request {
	t.Helper()
	if res.Suspend == nil {
		t.Fatalf("Resume: the result did not suspend")
	}
	b, err := json.Marshal(res.Suspend.State)
	if err != nil {
		t.Fatalf("Resume: state does not marshal: %v", err)
	}
	next := *req
	next.State = b
	return &next
}
