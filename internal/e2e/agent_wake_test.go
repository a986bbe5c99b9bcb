package e2e

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/internal/fakes/aifake"
)

const agentCallWorkflow = `name: agent-call
on:
  webhook: { path: agent-call, method: POST }
steps:
  - id: assistant
    uses: ai.agent
    with:
      provider: openai-compatible
      base_url: "{{ env.AI_URL }}/v1"
      model: llama3.1
      stream: false
      prompt: "{{ trigger.body.question }}"
      tools:
        - name: open_ticket
          description: Open a support ticket.
          parameters: { type: object, required: [subject], properties: { subject: { type: string } } }
          uses: workflow.call
          with: { workflow: open-ticket }
    timeout: 120s
`

// The child holds on the ticket service until the test lets it answer, so
// the agent is parked waiting for it when it ends.
const agentCallChild = `name: open-ticket
steps:
  - id: create
    uses: http.request
    with: { method: POST, url: "{{ env.TOOLS_URL }}/tickets", json: { subject: "{{ trigger.subject }}" } }
`

// holdingTools answers POST /tickets once release is closed.
type holdingTools struct {
	*httptest.Server
	arrived chan struct{} // closed at the first request
	release chan struct{}
	once    sync.Once
}

func newHoldingTools(t *testing.T) *holdingTools {
	h := &holdingTools{arrived: make(chan struct{}), release: make(chan struct{})}
	h.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.once.Do(func() { close(h.arrived) })
		select {
		case <-h.release:
		case <-r.Context().Done():
			return
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"ticket":"T-7"}`)
	}))
	t.Cleanup(h.Close)
	return h
}

// agentCallModel opens a ticket, then answers with the tool's result.
func agentCallModel(c *aifake.Call) aifake.Reply {
	if c.ToolResults() == 0 {
		return aifake.Reply{ToolCalls: []aifake.ToolCall{{Name: "open_ticket", Args: map[string]any{"subject": "export broken"}}}}
	}
	return aifake.Reply{Text: "Opened " + c.Messages[len(c.Messages)-1].Text}
}

type executionRuns struct {
	Status string         `json:"status"`
	Steps  []weft.StepRun `json:"steps"`
}

// waitParked polls until the execution is parked (waiting, no worker).
func waitParked(t *testing.T, srv *server, id string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		var ex executionRuns
		if code, err := srv.api("GET", "/api/v1/executions/"+id, nil, &ex); err == nil && code == 200 && ex.Status == "waiting" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("execution %s never parked while its agent waited for the child", id)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// checkWokenByChild checks on the recorded history that the agent ran again
// because its child ended, not because the workflow.call tool's fallback
// re-check came due: the wait recorded for the child (the one that
// happened) is shorter than that re-check.
func checkWokenByChild(t *testing.T, srv *server, id string) {
	t.Helper()
	var ex executionRuns
	if code, err := srv.api("GET", "/api/v1/executions/"+id, nil, &ex); err != nil || code != 200 {
		t.Fatalf("reading execution %s: %d %v", id, code, err)
	}
	var agent *weft.StepRun
	for i := range ex.Steps {
		if ex.Steps[i].StepID == "assistant" {
			agent = &ex.Steps[i]
		}
	}
	if agent == nil || agent.Status != weft.StepSucceeded {
		t.Fatalf("agent step run: %+v", ex.Steps)
	}
	for i, a := range agent.History {
		if a.Outcome != "waiting" || a.Reason != "child" {
			continue
		}
		if i+1 >= len(agent.History) {
			t.Fatalf("nothing recorded after the wait for the child: %+v", agent.History)
		}
		// The entry records the wait that happened: the one planned (the
		// fallback re-check of workflow.call, 30 s) unless the step ran
		// again sooner, so a shorter wait is the child's end waking it.
		const fallback = 30 * time.Second
		next := agent.History[i+1].At
		t.Logf("waited for the child at %s for %s (fallback %s), ran again at %s", a.At.Format(time.RFC3339Nano), a.Wait.D(), fallback, next.Format(time.RFC3339Nano))
		if a.Wait.D() >= fallback {
			t.Fatalf("the agent waited %s for the child, its fallback re-check: the child's end did not wake it", a.Wait.D())
		}
		if a.At.Add(a.Wait.D()).After(next) {
			t.Fatalf("recorded wait %s ends after the next attempt ended (%s)", a.Wait.D(), next)
		}
		return
	}
	t.Fatalf("no wait for the child in the agent's history: %+v", agent.History)
}

// TestAgentWorkflowToolWakesAgent: an agent whose workflow.call tool waits
// for a child is woken by the child's end, as a workflow.call step is,
// instead of sleeping until the tool's fallback re-check.
func TestAgentWorkflowToolWakesAgent(t *testing.T) {
	t.Parallel()
	fake := aifake.New("", agentCallModel)
	defer fake.Close()
	tools := newHoldingTools(t)
	wfDir := t.TempDir()
	writeWorkflow(t, wfDir, "agent-call", agentCallWorkflow)
	writeWorkflow(t, wfDir, "open-ticket", agentCallChild)
	env := []string{"WEFT_ENV_ALLOW=AI_URL,TOOLS_URL", "AI_URL=" + fake.URL, "TOOLS_URL=" + tools.URL}
	srv := startServer(t, env, "--data", t.TempDir(), "--workflows", wfDir, "--allow-private-net", "127.0.0.0/8")

	id, err := srv.hook("agent-call", `{"question":"My export is broken"}`)
	if err != nil {
		t.Fatal(err)
	}
	select {
	case <-tools.arrived:
	case <-time.After(30 * time.Second):
		t.Fatal("the child never called the ticket service")
	}
	waitParked(t, srv, id)
	close(tools.release)
	done := waitFinished(t, srv, []string{id}, 90*time.Second)
	if done[id].Status != "succeeded" {
		t.Fatalf("execution: %+v", done[id])
	}
	checkWokenByChild(t, srv, id)
	if n := fake.Count(nil); n != 2 {
		t.Fatalf("model calls = %d, want 2", n)
	}
}

// TestAgentWorkflowToolWakesAgentAfterKill9: the wake-up is durable. The
// process dies while the agent is parked and its child runs; after a
// restart the child runs to its end and that end wakes the parked agent.
func TestAgentWorkflowToolWakesAgentAfterKill9(t *testing.T) {
	t.Parallel()
	fake := aifake.New("", agentCallModel)
	defer fake.Close()
	tools := newHoldingTools(t)
	data, wfDir := t.TempDir(), t.TempDir()
	writeWorkflow(t, wfDir, "agent-call", agentCallWorkflow)
	writeWorkflow(t, wfDir, "open-ticket", agentCallChild)
	env := []string{"WEFT_ENV_ALLOW=AI_URL,TOOLS_URL", "AI_URL=" + fake.URL, "TOOLS_URL=" + tools.URL}
	args := []string{"--data", data, "--workflows", wfDir, "--lease", "2s", "--allow-private-net", "127.0.0.0/8"}
	srv := startServer(t, env, args...)

	id, err := srv.hook("agent-call", `{"question":"My export is broken"}`)
	if err != nil {
		t.Fatal(err)
	}
	select {
	case <-tools.arrived:
	case <-time.After(30 * time.Second):
		t.Fatal("the child never called the ticket service")
	}
	waitParked(t, srv, id)
	srv.kill()
	close(tools.release) // the restarted child's request is answered at once

	srv = startServer(t, env, args...)
	done := waitFinished(t, srv, []string{id}, 90*time.Second)
	if done[id].Status != "succeeded" {
		t.Fatalf("execution after restart: %+v", done[id])
	}
	checkWokenByChild(t, srv, id)
	if n := fake.Count(nil); n != 2 {
		t.Fatalf("model calls = %d, want 2 (a recorded turn was sent again)", n)
	}
}
