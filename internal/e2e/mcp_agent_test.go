package e2e

import (
	"context"
	"database/sql"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/weftworks/weft/internal/fakes/aifake"
)

const mcpAgentWorkflow = `name: mcp-agent
on:
  webhook: { path: mcp-agent, method: POST }
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
        - name: refund
          description: Refund an order.
          parameters: { type: object, required: [order], properties: { order: { type: string } } }
          uses: http.request
          with: { method: POST, url: "{{ env.TOOLS_URL }}/refund/${args.order}" }
    timeout: 60s
`

// crmServer is an MCP server (the Go SDK's, over Streamable HTTP) with a
// find_customer tool that counts its calls, and a tool the agent excludes.
func crmServer(t *testing.T, calls *atomic.Int32) string {
	t.Helper()
	s := mcp.NewServer(&mcp.Implementation{Name: "crm", Version: "1"}, nil)
	type in struct {
		Email string `json:"email"`
	}
	type out struct {
		Customer string   `json:"customer"`
		Orders   []string `json:"orders"`
	}
	mcp.AddTool(s, &mcp.Tool{Name: "find_customer", Description: "Find a customer by email."}, func(_ context.Context, _ *mcp.CallToolRequest, a in) (*mcp.CallToolResult, out, error) {
		calls.Add(1)
		return nil, out{Customer: "c-1 " + a.Email, Orders: []string{"o-42"}}, nil
	})
	mcp.AddTool(s, &mcp.Tool{Name: "delete_everything", Description: "Never offered."}, func(context.Context, *mcp.CallToolRequest, struct{}) (*mcp.CallToolResult, any, error) {
		t.Error("an excluded tool was called")
		return nil, nil, nil
	})
	h := mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server { return s }, nil)
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv.URL
}

// TestAgentWithMCPToolSurvivesKill9 runs an agent with one MCP tool and one
// tool of the workflow's own (http.request) in a real weft serve, SIGKILLs it while the model works on
// the third turn, restarts it, and checks that neither finished tool call
// ran again and the turns are recorded with namespaced tool names.
func TestAgentWithMCPToolSurvivesKill9(t *testing.T) {
	t.Parallel()
	var mcpCalls atomic.Int32
	crmURL := crmServer(t, &mcpCalls)
	inThird := make(chan struct{})
	var once sync.Once
	hold := make(chan struct{})
	var sawTools atomic.Value
	fake := aifake.New("", func(c *aifake.Call) aifake.Reply {
		sawTools.Store(strings.Join(c.Tools, ","))
		switch c.ToolResults() {
		case 0:
			return aifake.Reply{ToolCalls: []aifake.ToolCall{{Name: "crm__find_customer", Args: map[string]any{"email": "ada@example.com"}}}}
		case 1:
			return aifake.Reply{ToolCalls: []aifake.ToolCall{{Name: "refund", Args: map[string]any{"order": "o-42"}}}}
		}
		first := false
		once.Do(func() { close(inThird); first = true })
		if first {
			return aifake.Reply{Text: "Refunded o-42.", Hold: hold}
		}
		return aifake.Reply{Text: "Refunded o-42."}
	})
	defer fake.Close()

	data, wfDir := t.TempDir(), t.TempDir()
	writeWorkflow(t, wfDir, "mcp-agent", mcpAgentWorkflow)
	var refunds atomic.Int32
	tools := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		refunds.Add(1)
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"refunded":"` + strings.TrimPrefix(r.URL.Path, "/refund/") + `"}`))
	}))
	defer tools.Close()
	env := []string{"WEFT_ENV_ALLOW=AI_URL,TOOLS_URL", "AI_URL=" + fake.URL, "TOOLS_URL=" + tools.URL}
	args := []string{"--data", data, "--workflows", wfDir, "--lease", "2s"}
	srv := startServer(t, env, args...)
	if code, err := srv.api("PUT", "/api/v1/credentials/crm", map[string]any{"type": "mcp", "data": map[string]any{"url": crmURL}}, nil); err != nil || code != 200 {
		t.Fatalf("creating the mcp connection: %d %v", code, err)
	}
	id, err := srv.hook("mcp-agent", `{"question":"Refund ada@example.com's order"}`)
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		select {
		case <-hold:
		default:
			close(hold)
		}
	}()
	select {
	case <-inThird:
	case <-time.After(30 * time.Second):
		t.Fatalf("the model never got the third turn; calls: %d", fake.Count(nil))
	}
	if got := sawTools.Load(); got != "crm__find_customer,refund" {
		t.Fatalf("tools offered to the model = %v, want the namespaced MCP tool (not the excluded one) and the workflow tool", got)
	}
	db, err := sql.Open("sqlite", "file:"+filepath.Join(data, "weft.db")+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	var raw []byte
	if err := db.QueryRow("SELECT state FROM step_runs WHERE execution_id = ? AND step_id = 'assistant'", id).Scan(&raw); err != nil {
		t.Fatal(err)
	}
	db.Close()
	var st struct {
		Turns []struct {
			ToolCalls []struct {
				Name   string          `json:"name"`
				Done   bool            `json:"done"`
				Output json.RawMessage `json:"output"`
			} `json:"tool_calls"`
		} `json:"turns"`
	}
	if json.Unmarshal(raw, &st) != nil || len(st.Turns) != 2 || !st.Turns[0].ToolCalls[0].Done || !st.Turns[1].ToolCalls[0].Done ||
		!strings.Contains(string(st.Turns[0].ToolCalls[0].Output), "c-1 ada@example.com") ||
		!strings.Contains(string(st.Turns[1].ToolCalls[0].Output), "o-42") {
		t.Fatalf("recorded state before the kill: %s", raw)
	}
	srv.kill()
	close(hold)

	srv = startServer(t, env, args...)
	done := waitFinished(t, srv, []string{id}, 60*time.Second)
	if done[id].Status != "succeeded" {
		t.Fatalf("execution after restart: %+v", done[id])
	}
	if n := mcpCalls.Load(); n != 1 {
		t.Fatalf("the MCP tool ran %d times, want 1 (a finished call must not run again)", n)
	}
	if n := refunds.Load(); n != 1 {
		t.Fatalf("the workflow's own tool ran %d times, want 1", n)
	}
	out := stepOutput(t, srv, id, "assistant")
	if !strings.Contains(out, "crm__find_customer") || !strings.Contains(out, "Refunded o-42.") {
		t.Fatalf("agent output: %s", out)
	}
}
