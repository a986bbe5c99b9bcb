package core_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/step"
	"github.com/weftworks/weft/step/steptest"
)

// startChild runs workflow.call once and returns the env, the request and
// the suspension it produced.
func startChild(t *testing.T, reg *step.Registry, with map[string]any) (*steptest.Env, *step.Request, step.Result) {
	t.Helper()
	env := steptest.NewEnv()
	req := steptest.NewRequestIn(env, with)
	res, err := steptest.Run(t, reg, "workflow.call", req)
	if err != nil {
		t.Fatal(err)
	}
	if res.Suspend == nil {
		t.Fatalf("first run = %+v, want a suspension", res)
	}
	return env, req, res
}

func TestCallStart(t *testing.T) {
	t.Parallel()
	reg := newRegistry(t)
	env, req, res := startChild(t, reg, map[string]any{"workflow": "send-invoice", "input": map[string]any{"order": "o_1"}})
	if want := steptest.Epoch().Add(30 * time.Second); !res.Suspend.Until.Equal(want) {
		t.Errorf("Until = %v, want %v", res.Suspend.Until, want)
	}
	calls := env.Workflows.Calls()
	if len(calls) != 1 {
		t.Fatalf("Start calls = %d, want 1", len(calls))
	}
	c := calls[0]
	want := steptest.StartCall{Name: "send-invoice", Input: json.RawMessage(`{"order":"o_1"}`), ParentExecution: req.ExecutionID, ParentStep: req.StepID, Key: req.IdempotencyKey}
	if !reflect.DeepEqual(c, want) {
		t.Errorf("Start call = %+v, want %+v", c, want)
	}
	if got := string(steptest.Resume(t, req, res).State); got != `{"child":"child-1"}` {
		t.Errorf("state = %s", got)
	}

	// A repeat of the first run (crash before the suspension was stored)
	// finds the same child.
	res2, err := steptest.Run(t, reg, "workflow.call", req)
	if err != nil {
		t.Fatal(err)
	}
	if a, b := string(steptest.Resume(t, req, res).State), string(steptest.Resume(t, req, res2).State); a != b {
		t.Errorf("repeated start gave state %s, then %s", a, b)
	}
}

func TestCallDefaultInput(t *testing.T) {
	t.Parallel()
	env, _, _ := startChild(t, newRegistry(t), map[string]any{"workflow": "child"})
	if got := string(env.Workflows.Calls()[0].Input); got != `{}` {
		t.Errorf("input = %s, want {}", got)
	}
}

func TestCallOutcome(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		status    weft.ExecutionStatus
		output    json.RawMessage
		errInfo   *weft.ErrorInfo
		want      any
		wantCode  string // error code; "" means success or suspension
		wantInErr string
		maxLen    int // when set, the error message's longest length
		suspend   bool
	}{
		{name: "succeeded", status: weft.ExecutionSucceeded, output: json.RawMessage(`{"invoice":"in_9","n":2}`), want: map[string]any{"invoice": "in_9", "n": float64(2)}},
		{name: "succeeded without output", status: weft.ExecutionSucceeded, want: nil},
		{name: "failed", status: weft.ExecutionFailed, errInfo: &weft.ErrorInfo{Code: "http_status", Message: "402 Payment Required"}, wantCode: "child_failed", wantInErr: "402 Payment Required"},
		{name: "failed deep down", status: weft.ExecutionFailed, errInfo: &weft.ErrorInfo{Code: "child_failed", Message: strings.Repeat("step \"again\" failed: workflow.call: child workflow \"loop\" failed: ", 2000) + "call_depth: depth limit reached"},
			wantCode: "child_failed", wantInErr: "call_depth: depth limit reached", maxLen: 1500},
		{name: "canceled", status: weft.ExecutionCanceled, wantCode: "child_canceled", wantInErr: "canceled"},
		{name: "still running", status: weft.ExecutionRunning, suspend: true},
		{name: "waiting", status: weft.ExecutionWaiting, suspend: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			reg := newRegistry(t)
			env, req, first := startChild(t, reg, map[string]any{"workflow": "child"})
			env.Workflows.SetStatus(t, "child-1", tt.status, tt.output, tt.errInfo)
			env.Clock.Advance(5 * time.Second)
			next := steptest.Resume(t, req, first)
			res, err := steptest.Run(t, reg, "workflow.call", next)
			switch {
			case tt.wantCode != "":
				if err == nil || codeOf(err) != tt.wantCode || !strings.Contains(err.Error(), tt.wantInErr) || !strings.Contains(err.Error(), "child-1") {
					t.Fatalf("err = %v (code %q), want code %s mentioning %q and the child id", err, codeOf(err), tt.wantCode, tt.wantInErr)
				}
				if ok, _ := step.IsRetryable(err); ok {
					t.Errorf("child outcome error is retryable")
				}
				if tt.maxLen > 0 && len(err.Error()) > tt.maxLen {
					t.Errorf("error is %d bytes, want at most %d: a nested chain must not repeat every level", len(err.Error()), tt.maxLen)
				}
			case tt.suspend:
				if err != nil || res.Suspend == nil {
					t.Fatalf("result = %+v, %v; want a suspension", res, err)
				}
				if want := steptest.Epoch().Add(35 * time.Second); !res.Suspend.Until.Equal(want) {
					t.Errorf("Until = %v, want now+30s = %v", res.Suspend.Until, want)
				}
				if got := string(steptest.Resume(t, next, res).State); got != string(next.State) {
					t.Errorf("state = %s, want it kept as %s", got, next.State)
				}
			default:
				if err != nil || res.Suspend != nil {
					t.Fatalf("result = %+v, %v; want output", res, err)
				}
				if !reflect.DeepEqual(res.Output, tt.want) {
					t.Errorf("output = %#v, want %#v", res.Output, tt.want)
				}
			}
			if n := len(env.Workflows.Calls()); n != 1 {
				t.Errorf("Start called %d times, want once", n)
			}
		})
	}
}

func TestCallErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		with      map[string]any
		state     string
		noEnv     bool
		startErr  error
		getErr    error
		wantCode  string
		retryable bool
	}{
		{name: "workflow missing", with: map[string]any{}, wantCode: "validation"},
		{name: "unknown workflow", with: map[string]any{"workflow": "nope"}, startErr: fmt.Errorf("workflow nope: %w", weft.ErrNotFound), wantCode: "workflow_not_found"},
		{name: "invalid input", with: map[string]any{"workflow": "x"}, startErr: fmt.Errorf("input: %w", weft.ErrInvalid), wantCode: "validation"},
		{name: "store down on start", with: map[string]any{"workflow": "x"}, startErr: errors.New("database is locked"), wantCode: "step_error", retryable: true},
		{name: "store down on poll", with: map[string]any{"workflow": "x"}, state: `{"child":"child-1"}`, getErr: errors.New("database is locked"), wantCode: "step_error", retryable: true},
		{name: "child gone", with: map[string]any{"workflow": "x"}, state: `{"child":"child-404"}`, wantCode: "child_not_found"},
		{name: "no workflows service", with: map[string]any{"workflow": "x"}, noEnv: true, wantCode: "not_configured"},
		{name: "input not JSON", with: map[string]any{"workflow": "x", "input": map[string]any{"f": func() {}}}, wantCode: "validation"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			env := steptest.NewEnv()
			env.Workflows.StartErr, env.Workflows.GetErr = tt.startErr, tt.getErr
			req := steptest.NewRequestIn(env, tt.with)
			if tt.state != "" {
				req.State = json.RawMessage(tt.state)
			}
			if tt.noEnv {
				req.Env.Workflows = nil
			}
			_, err := steptest.Run(t, newRegistry(t), "workflow.call", req)
			if err == nil {
				t.Fatal("want an error")
			}
			if got := step.ErrorInfo(err).Code; got != tt.wantCode {
				t.Errorf("code = %q, want %q (%v)", got, tt.wantCode, err)
			}
			if ok, _ := step.IsRetryable(err); ok != tt.retryable {
				t.Errorf("retryable = %v, want %v", ok, tt.retryable)
			}
		})
	}
}
