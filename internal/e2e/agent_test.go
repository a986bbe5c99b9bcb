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
	"testing"
	"time"

	"github.com/weftworks/weft/internal/fakes/aifake"

	_ "modernc.org/sqlite" // reads the server's database to check what it recorded
)

const agentWorkflow = `name: agent
on:
  webhook: { path: agent, method: POST }
steps:
  - id: assistant
    uses: ai.agent
    with:
      provider: openai-compatible
      base_url: "{{ env.AI_URL }}/v1"
      model: llama3.1
      stream: false
      system: You help customers.
      prompt: "{{ trigger.body.question }}"
      tools:
        - name: lookup
          description: Find a customer by email.
          parameters: { type: object, required: [email], properties: { email: { type: string } } }
          uses: http.request
          with: { url: "{{ env.TOOLS_URL }}/lookup" }
        - name: refund
          description: Refund an order.
          parameters: { type: object, required: [order], properties: { order: { type: string } } }
          uses: http.request
          with: { method: POST, url: "{{ env.TOOLS_URL }}/refund/${args.order}" }
    timeout: 60s
`

// TestAgentSurvivesKill9BetweenTurns runs a two-tool agent in a real
// `weft serve`, kills the process with SIGKILL while the model works on the
// third turn, restarts it and checks that the finished turns were not sent
// to the model again and the finished tool calls did not run again.
func TestAgentSurvivesKill9BetweenTurns(t *testing.T) {
	t.Parallel()
	inThird := make(chan struct{})
	var once sync.Once
	hold := make(chan struct{})
	fake := aifake.New("", func(c *aifake.Call) aifake.Reply {
		switch c.ToolResults() {
		case 0:
			return aifake.Reply{Text: "Looking up.", ToolCalls: []aifake.ToolCall{{Name: "lookup", Args: map[string]any{"email": "ada@example.com"}}}}
		case 1:
			return aifake.Reply{ToolCalls: []aifake.ToolCall{{Name: "refund", Args: map[string]any{"order": "o-42"}}}}
		}
		first := false
		once.Do(func() { close(inThird); first = true })
		if first {
			return aifake.Reply{Text: "Refunded order o-42.", Hold: hold} // the process dies while this waits
		}
		return aifake.Reply{Text: "Refunded order o-42."}
	})
	defer fake.Close()
	var mu sync.Mutex
	toolCalls := map[string]int{}
	tools := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		toolCalls[r.Method+" "+r.URL.Path]++
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		if strings.HasPrefix(r.URL.Path, "/refund/") {
			fmt.Fprintf(w, `{"refunded":%q}`, strings.TrimPrefix(r.URL.Path, "/refund/"))
			return
		}
		fmt.Fprint(w, `{"customer":"c-1","orders":["o-42"]}`)
	}))
	defer tools.Close()

	data, wfDir := t.TempDir(), t.TempDir()
	writeWorkflow(t, wfDir, "agent", agentWorkflow)
	env := []string{"WEFT_ENV_ALLOW=AI_URL,TOOLS_URL", "AI_URL=" + fake.URL, "TOOLS_URL=" + tools.URL}
	args := []string{"--data", data, "--workflows", wfDir, "--lease", "2s", "--allow-private-net", "127.0.0.0/8"}
	srv := startServer(t, env, args...)
	id, err := srv.hook("agent", `{"question":"Please refund my order, I am ada@example.com"}`)
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
	// The two finished turns and both tool calls are on disk (the step
	// run's state) before the kill.
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
				Name string `json:"name"`
				Done bool   `json:"done"`
			} `json:"tool_calls"`
		} `json:"turns"`
	}
	if json.Unmarshal(raw, &st) != nil || len(st.Turns) != 2 || !st.Turns[1].ToolCalls[0].Done {
		t.Fatalf("recorded state before the kill: %s", raw)
	}
	srv.kill()
	close(hold) // the fake's held answer goes to a dead connection

	srv = startServer(t, env, args...)
	done := waitFinished(t, srv, []string{id}, 60*time.Second)
	if done[id].Status != "succeeded" {
		t.Fatalf("execution after restart: %+v", done[id])
	}
	perTurn := map[int]int{}
	for _, c := range fake.Calls() {
		perTurn[c.ToolResults()+1]++
	}
	t.Logf("model calls per turn: %v; tool calls: %v", perTurn, toolCalls)
	if perTurn[1] != 1 || perTurn[2] != 1 {
		t.Fatalf("a finished turn was sent to the model again: calls per turn %v", perTurn)
	}
	if perTurn[3] != 2 {
		t.Fatalf("turn 3 (in flight at the kill) calls = %d, want 2", perTurn[3])
	}
	mu.Lock()
	defer mu.Unlock()
	if toolCalls["GET /lookup"] != 1 || toolCalls["POST /refund/o-42"] != 1 {
		t.Fatalf("a finished tool call ran again: %v", toolCalls)
	}
}
