package e2e

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/weftworks/weft/internal/fakes/aifake"
)

// An agent with one tool from an MCP server and one tool that is another
// workflow (workflow.call).
const mcpWorkflowAgent = `name: mcp-wf-agent
on:
  webhook: { path: mcp-wf-agent, method: POST }
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
        - mcp: crm
          include: [find_customer]
        - name: open_ticket
          description: Open a support ticket.
          parameters: { type: object, required: [subject], properties: { subject: { type: string } } }
          uses: workflow.call
          with: { workflow: ticket-child }
    timeout: 120s
`

const mcpWorkflowChild = `name: ticket-child
steps:
  - id: create
    uses: http.request
    with: { method: POST, url: "{{ env.TOOLS_URL }}/tickets", json: { subject: "{{ trigger.subject }}" } }
`

// agentToolCall is one tool call as the agent records it on its step run.
type agentToolCall struct {
	ID     string          `json:"id"`
	Name   string          `json:"name"`
	Args   json.RawMessage `json:"arguments"`
	Done   bool            `json:"done"`
	Output json.RawMessage `json:"output"`
}

// agentState reads the agent's recorded state from the store (read-only).
func agentState(t *testing.T, data, id string) (turns [][]agentToolCall, raw string) {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+filepath.Join(data, "weft.db")+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var b []byte
	if err := db.QueryRow("SELECT state FROM step_runs WHERE execution_id = ? AND step_id = 'assistant'", id).Scan(&b); err != nil {
		t.Fatalf("reading the agent's state: %v", err)
	}
	var st struct {
		Turns []struct {
			ToolCalls []agentToolCall `json:"tool_calls"`
		} `json:"turns"`
	}
	if err := json.Unmarshal(b, &st); err != nil {
		t.Fatalf("agent state %s: %v", b, err)
	}
	for _, tr := range st.Turns {
		turns = append(turns, tr.ToolCalls)
	}
	return turns, string(b)
}

// TestAgentMCPAndWorkflowToolsSurviveKill9: an agent with an MCP tool and a
// workflow tool does a three-turn task against the fake model in a real
// weft serve, which is SIGKILLed twice between turns — once after the MCP
// call was recorded, once after the child workflow ended. After each restart
// the loop resumes from its record: the MCP tool ran once, the child
// workflow ran once, the agent ends with the final answer, and the step run
// lists both tool calls under their namespaced names.
func TestAgentMCPAndWorkflowToolsSurviveKill9(t *testing.T) {
	t.Parallel()
	var mcpCalls atomic.Int32
	crmURL := crmServer(t, &mcpCalls)

	var tickets atomic.Int32
	tools := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tickets.Add(1)
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"ticket":"T-7"}`)
	}))
	defer tools.Close()

	// The model is held on the first try of turns 2 and 3, so the process
	// can be killed while the previous tool's result is on record.
	inTurn := [2]chan struct{}{make(chan struct{}), make(chan struct{})}
	hold := [2]chan struct{}{make(chan struct{}), make(chan struct{})}
	var once [2]sync.Once
	var sawTools atomic.Value
	fake := aifake.New("", func(c *aifake.Call) aifake.Reply {
		sawTools.Store(strings.Join(c.Tools, ","))
		n := c.ToolResults()
		if n == 0 {
			return aifake.Reply{ToolCalls: []aifake.ToolCall{{Name: "crm__find_customer", Args: map[string]any{"email": "ada@example.com"}}}}
		}
		var rep aifake.Reply
		if n > 2 {
			n = 2 // a tool repeated: answer, and let the counts below tell
		}
		if n == 1 {
			rep = aifake.Reply{ToolCalls: []aifake.ToolCall{{Name: "open_ticket", Args: map[string]any{"subject": "export broken for c-1"}}}}
		} else {
			rep = aifake.Reply{Text: "Opened ticket T-7 for c-1."}
		}
		first := false
		once[n-1].Do(func() { close(inTurn[n-1]); first = true })
		if first {
			rep.Hold = hold[n-1]
		}
		return rep
	})
	defer fake.Close()
	defer func() {
		for _, h := range hold {
			select {
			case <-h:
			default:
				close(h)
			}
		}
	}()

	data, wfDir := t.TempDir(), t.TempDir()
	writeWorkflow(t, wfDir, "mcp-wf-agent", mcpWorkflowAgent)
	writeWorkflow(t, wfDir, "ticket-child", mcpWorkflowChild)
	env := []string{"WEFT_ENV_ALLOW=AI_URL,TOOLS_URL", "AI_URL=" + fake.URL, "TOOLS_URL=" + tools.URL}
	args := []string{"--data", data, "--workflows", wfDir, "--lease", "2s", "--allow-private-net", "127.0.0.0/8"}
	srv := startServer(t, env, args...)
	if code, err := srv.api("PUT", "/api/v1/credentials/crm", map[string]any{"type": "mcp", "data": map[string]any{"url": crmURL}}, nil); err != nil || code != 200 {
		t.Fatalf("creating the mcp connection: %d %v", code, err)
	}
	id, err := srv.hook("mcp-wf-agent", `{"question":"Open a ticket for ada@example.com: her export is broken"}`)
	if err != nil {
		t.Fatal(err)
	}

	// Kill 1: the MCP call is finished and recorded; turn 2 is in flight.
	select {
	case <-inTurn[0]:
	case <-time.After(30 * time.Second):
		t.Fatalf("the model never got the second turn; calls: %d", fake.Count(nil))
	}
	if got := sawTools.Load(); got != "crm__find_customer,open_ticket" {
		t.Fatalf("tools offered to the model = %v, want the namespaced MCP tool and the workflow tool", got)
	}
	turns, raw := agentState(t, data, id)
	if len(turns) != 1 || len(turns[0]) != 1 || turns[0][0].Name != "crm__find_customer" || !turns[0][0].Done ||
		!strings.Contains(string(turns[0][0].Output), "c-1 ada@example.com") {
		t.Fatalf("recorded state before the first kill: %s", raw)
	}
	srv.kill()
	close(hold[0])
	srv = startServer(t, env, args...)

	// Kill 2: the child workflow has ended and the agent, woken, is in turn 3.
	select {
	case <-inTurn[1]:
	case <-time.After(60 * time.Second):
		t.Fatalf("the model never got the third turn; calls: %d, tickets: %d", fake.Count(nil), tickets.Load())
	}
	var children struct {
		Items []execution `json:"items"`
	}
	if code, err := srv.api("GET", "/api/v1/executions?workflow=ticket-child&limit=100", nil, &children); err != nil || code != 200 {
		t.Fatalf("listing the child's executions: %d %v", code, err)
	}
	if len(children.Items) != 1 || children.Items[0].Status != "succeeded" {
		t.Fatalf("child executions before the second kill: %+v", children.Items)
	}
	turns, raw = agentState(t, data, id)
	if len(turns) != 2 || len(turns[1]) != 1 || turns[1][0].Name != "open_ticket" || !turns[1][0].Done ||
		!strings.Contains(string(turns[1][0].Output), "T-7") {
		t.Fatalf("recorded state before the second kill: %s", raw)
	}
	srv.kill()
	close(hold[1])
	srv = startServer(t, env, args...)

	done := waitFinished(t, srv, []string{id}, 90*time.Second)
	if done[id].Status != "succeeded" {
		t.Fatalf("execution after two restarts: %+v", done[id])
	}
	if n := mcpCalls.Load(); n != 1 {
		t.Fatalf("the MCP tool ran %d times, want 1 (a finished call must not run again)", n)
	}
	if n := tickets.Load(); n != 1 {
		t.Fatalf("the child's ticket request ran %d times, want 1", n)
	}
	if code, err := srv.api("GET", "/api/v1/executions?workflow=ticket-child&limit=100", nil, &children); err != nil || code != 200 {
		t.Fatalf("listing the child's executions: %d %v", code, err)
	}
	if len(children.Items) != 1 || children.Items[0].Status != "succeeded" {
		t.Fatalf("the child workflow ran %d times, want once: %+v", len(children.Items), children.Items)
	}

	var out struct {
		Text  string `json:"text"`
		Turns []struct {
			ToolCalls []agentToolCall `json:"tool_calls"`
		} `json:"turns"`
	}
	rawOut := stepOutput(t, srv, id, "assistant")
	if err := json.Unmarshal([]byte(rawOut), &out); err != nil {
		t.Fatalf("agent output %s: %v", rawOut, err)
	}
	if !strings.Contains(rawOut, "Opened ticket T-7 for c-1.") {
		t.Fatalf("agent output has no final answer: %s", rawOut)
	}
	var names []string
	for _, tr := range out.Turns {
		for _, c := range tr.ToolCalls {
			names = append(names, c.Name)
			if len(c.Args) == 0 || len(c.Output) == 0 {
				t.Errorf("tool call %s recorded without arguments or result: %s", c.Name, rawOut)
			}
		}
	}
	if strings.Join(names, ",") != "crm__find_customer,open_ticket" {
		t.Fatalf("tool calls on the step run = %v, want crm__find_customer then open_ticket: %s", names, rawOut)
	}
	if n := fake.Count(nil); n != 5 {
		t.Fatalf("model calls = %d, want 5 (3 turns, 2 of them interrupted once by a kill)", n)
	}
}
