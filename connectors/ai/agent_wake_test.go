package ai_test

import (
	"context"
	"encoding/json"
	"sync/atomic"
	"testing"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/connectors/ai"
	"github.com/weftworks/weft/internal/fakes/aifake"
	"github.com/weftworks/weft/step"
	"github.com/weftworks/weft/step/steptest"
)

// slowTool is a step that waits an hour before it answers and is not
// RunOnWake: running it before then would be a second call too early.
type slowTool struct{ runs *atomic.Int32 }

func (h slowTool) Run(_ context.Context, req *step.Request) (step.Result, error) {
	h.runs.Add(1)
	if req.State == nil {
		return step.Result{Suspend: &step.Suspend{Until: req.Env.Now().Add(time.Hour), State: map[string]bool{"asked": true}, Reason: "slow"}}, nil
	}
	return step.Result{Output: map[string]any{"slow": "done"}}, nil
}

// TestAgentWokenEarly runs ai.agent as the engine does when its execution
// is woken before a suspension's time (ai.agent is RunOnWake): a
// workflow.call tool looks at its child again at once, while a wait that a
// wake-up must not cut short (a tool step that is not RunOnWake) keeps its
// time without running the tool or the model again.
func TestAgentWokenEarly(t *testing.T) {
	t.Parallel()
	b := setup(t, func(c *aifake.Call) aifake.Reply {
		switch c.ToolResults() {
		case 0:
			return aifake.Reply{ToolCalls: []aifake.ToolCall{{Name: "slow", Args: map[string]any{}}}}
		case 1:
			return aifake.Reply{ToolCalls: []aifake.ToolCall{{Name: "ticket", Args: map[string]any{"subject": "export"}}}}
		}
		return aifake.Reply{Text: "Done."}
	}, ai.Config{})
	var slowRuns atomic.Int32
	b.reg.MustAdd(step.Spec{Type: "test.slow", Title: "Slow", Category: step.CategoryCore, Fields: []step.Field{}}, slowTool{&slowRuns})
	if reg, _ := b.reg.Lookup(ai.TypeAgent); !reg.Spec.RunOnWake {
		t.Fatal("ai.agent is not RunOnWake: a workflow.call tool's child would not wake it")
	}
	req := steptest.NewRequestIn(b.env, map[string]any{
		"model": "gpt-4o-mini", "credential": "openai", "prompt": "Open a ticket.", "stream": false,
		"tools": []any{
			map[string]any{"name": "slow", "uses": "test.slow"},
			map[string]any{"name": "ticket", "uses": "workflow.call", "with": map[string]any{"workflow": "open-ticket"}},
		},
	})
	run := func(what string) step.Result {
		t.Helper()
		res, err := steptest.Run(t, b.reg, ai.TypeAgent, req)
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		if res.Suspend != nil {
			req = steptest.Resume(t, req, res)
		}
		return res
	}
	now := b.env.Clock.Now

	run("turn 1") // asks for the slow tool
	res := run("slow tool")
	if res.Suspend == nil || !res.Suspend.Until.Equal(now().Add(time.Hour)) || res.Suspend.Reason != "slow" || slowRuns.Load() != 1 {
		t.Fatalf("slow tool: suspend %+v, runs %d", res.Suspend, slowRuns.Load())
	}
	until := res.Suspend.Until
	b.env.Clock.Advance(time.Minute)
	res = run("woken early during the slow tool's wait")
	if res.Suspend == nil || !res.Suspend.Until.Equal(until) || res.Suspend.Reason != "slow" {
		t.Fatalf("woken early: suspend %+v, want the slow tool's own wait until %s", res.Suspend, until)
	}
	if slowRuns.Load() != 1 || b.fake.Count(nil) != 1 {
		t.Fatalf("woken early: slow tool ran %d times, model got %d calls; want 1 and 1", slowRuns.Load(), b.fake.Count(nil))
	}
	b.env.Clock.Advance(time.Hour)
	run("slow tool answers")
	if slowRuns.Load() != 2 {
		t.Fatalf("after the wait the slow tool ran %d times, want 2", slowRuns.Load())
	}

	run("turn 2") // asks for the workflow tool
	res = run("workflow tool starts its child")
	calls := b.env.Workflows.Calls()
	if res.Suspend == nil || res.Suspend.Reason != "child" || len(calls) != 1 {
		t.Fatalf("workflow tool: suspend %+v, starts %d", res.Suspend, len(calls))
	}
	res = run("woken while the child runs")
	if res.Suspend == nil || res.Suspend.Reason != "child" {
		t.Fatalf("woken while the child runs: %+v", res.Suspend)
	}
	// The child ends; its end wakes the agent long before the fallback.
	b.env.Workflows.SetStatus(t, "child-1", weft.ExecutionSucceeded, json.RawMessage(`{"ticket":"T-1"}`), nil)
	res = run("woken by the child's end")
	if res.Suspend == nil || res.Suspend.Until.After(now()) {
		t.Fatalf("woken by the child's end: %+v, want the next turn at once", res.Suspend)
	}
	res = run("turn 3")
	if res.Output == nil || b.fake.Count(nil) != 3 || len(b.env.Workflows.Calls()) != 1 {
		t.Fatalf("final: output %v, model calls %d, child starts %d", res.Output, b.fake.Count(nil), len(b.env.Workflows.Calls()))
	}
	var out struct {
		Turns []ai.Turn `json:"turns"`
	}
	raw, _ := json.Marshal(res.Output)
	if json.Unmarshal(raw, &out) != nil || len(out.Turns) != 3 || out.Turns[1].ToolCalls[0].Error != "" {
		t.Fatalf("turns: %s", raw)
	}
	// The workflow tool's call names the child it ran, for the console's link.
	if got := out.Turns[1].ToolCalls[0].Child; got != "child-1" {
		t.Fatalf("workflow tool call records child %q, want child-1: %s", got, raw)
	}
}
