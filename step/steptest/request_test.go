package steptest_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/step"
	"github.com/weftworks/weft/step/steptest"
)

func TestNewRequest(t *testing.T) {
	t.Parallel()
	req := steptest.NewRequest(nil)
	if req.With == nil || len(req.With) != 0 {
		t.Errorf("With = %v, want empty map", req.With)
	}
	if req.Attempt != 1 || req.Item != weft.WholeStep || req.State != nil {
		t.Errorf("request = %+v, want first attempt of the whole step", req)
	}
	if want := weft.StepRunID(steptest.ExecutionID, steptest.StepID, weft.WholeStep); req.IdempotencyKey != want {
		t.Errorf("IdempotencyKey = %q, want %q", req.IdempotencyKey, want)
	}
	if got := req.Env.Now(); !got.Equal(steptest.Epoch()) {
		t.Errorf("Now = %v, want %v", got, steptest.Epoch())
	}
	if req.Env.Logger == nil || req.Env.Workflows == nil {
		t.Errorf("Env lacks a logger or workflows: %+v", req.Env)
	}
}

func TestClock(t *testing.T) {
	t.Parallel()
	env := steptest.NewEnv()
	env.Clock.Advance(90 * time.Second)
	if got, want := env.Now(), steptest.Epoch().Add(90*time.Second); !got.Equal(want) {
		t.Fatalf("Now = %v, want %v", got, want)
	}
}

func TestWorkflows(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	wf := steptest.NewWorkflows()
	id1, err := wf.Start(ctx, "child", json.RawMessage(`{"a":1}`), "p", "s", "k")
	if err != nil {
		t.Fatal(err)
	}
	id2, err := wf.Start(ctx, "child", json.RawMessage(`{"a":1}`), "p", "s", "k")
	if err != nil {
		t.Fatal(err)
	}
	if id1 != id2 {
		t.Errorf("Start with one key gave %s and %s, want one id", id1, id2)
	}
	other, _ := wf.Start(ctx, "child", nil, "p", "s", "other")
	if other == id1 {
		t.Errorf("Start with another key reused %s", id1)
	}
	if n := len(wf.Calls()); n != 3 {
		t.Errorf("Calls = %d, want 3", n)
	}
	wf.SetStatus(t, id1, weft.ExecutionSucceeded, json.RawMessage(`{"ok":true}`), nil)
	e, err := wf.Get(ctx, id1)
	if err != nil || e.Status != weft.ExecutionSucceeded || string(e.Output) != `{"ok":true}` || e.ParentID != "p" {
		t.Errorf("Get = %+v, %v", e, err)
	}
	if _, err := wf.Get(ctx, "nope"); !errors.Is(err, weft.ErrNotFound) {
		t.Errorf("Get unknown = %v, want ErrNotFound", err)
	}
}

func TestRunAndResume(t *testing.T) {
	t.Parallel()
	reg := step.NewRegistry()
	spec := goodSpec()
	reg.MustAdd(spec, step.HandlerFunc(func(_ context.Context, req *step.Request) (step.Result, error) {
		if req.State == nil {
			return step.Result{Suspend: &step.Suspend{Until: req.Env.Now().Add(time.Minute), State: map[string]int{"n": 1}}}, nil
		}
		var st struct{ N int }
		if err := json.Unmarshal(req.State, &st); err != nil {
			return step.Result{}, err
		}
		return step.Result{Output: map[string]int{"n": st.N + 1}}, nil
	}))
	req := steptest.NewRequest(map[string]any{"message": "hi"})
	res, err := steptest.Run(t, reg, spec.Type, req)
	if err != nil || res.Suspend == nil {
		t.Fatalf("first run = %+v, %v; want a suspension", res, err)
	}
	if req.Type != spec.Type {
		t.Errorf("Run did not set Type: %q", req.Type)
	}
	next := steptest.Resume(t, req, res)
	if string(next.State) != `{"n":1}` || req.State != nil {
		t.Errorf("Resume state = %s (original %s)", next.State, req.State)
	}
	res, err = steptest.Run(t, reg, spec.Type, next)
	if err != nil {
		t.Fatal(err)
	}
	// Output reads back from JSON, so numbers are float64 as in the store.
	if got := res.Output.(map[string]any)["n"]; got != float64(2) {
		t.Errorf("output n = %#v, want float64(2)", got)
	}
}
