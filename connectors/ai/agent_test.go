package ai_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/connectors/ai"
	"github.com/weftworks/weft/connectors/standard"
	"github.com/weftworks/weft/engine"
	"github.com/weftworks/weft/internal/fakes/aifake"
	"github.com/weftworks/weft/step"
	"github.com/weftworks/weft/store/storesqlite"
)

// agentModel is a scripted model: turn 1 looks the customer up, turn 2
// opens a ticket, turn 3 answers. It decides by the tool results so far.
func agentModel(c *aifake.Call) aifake.Reply {
	switch c.ToolResults() {
	case 0:
		return aifake.Reply{Text: "Let me look the customer up.", ToolCalls: []aifake.ToolCall{{Name: "find_customer", Args: map[string]any{"email": "ada@example.com"}}}}
	case 1:
		return aifake.Reply{ToolCalls: []aifake.ToolCall{{Name: "open_ticket", Args: map[string]any{"subject": "Export broken", "customer": "c-1"}}}}
	}
	last := c.Messages[len(c.Messages)-1].Text
	return aifake.Reply{Text: "Opened ticket " + last}
}

const agentWorkflow = `name: helpdesk
on:
  webhook: { path: helpdesk, method: POST }
steps:
  - id: assistant
    uses: ai.agent
    with:
      provider: gemini
      model: gemini-2.5-flash
      credential: gemini
      system: You help customers.
      prompt: "{{ trigger.body.question }}"
      tools:
        - name: find_customer
          description: Look a customer up by email.
          parameters: { type: object, required: [email], properties: { email: { type: string } } }
          uses: http.request
          with: { url: "{{ env.CRM_URL }}/customers" }
        - name: open_ticket
          description: Open a ticket for a customer.
          parameters: { type: object, properties: { subject: { type: string }, customer: { type: string } } }
          uses: http.request
          with: { method: POST, url: "{{ env.CRM_URL }}/customers/${args.customer}/tickets", json: { subject: "${args.subject}" } }
`

// TestAgentInEngine runs a two-tool agent through the engine on SQLite and
// checks that turns and tool calls are recorded and that a resumed step
// does not call the model again for recorded turns.
func TestAgentInEngine(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	fake := aifake.New("sk-test", agentModel)
	defer fake.Close()
	var crmCalls atomic.Int32
	crm := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		crmCalls.Add(1)
		w.Header().Set("Content-Type", "application/json")
		switch {
		case r.Method == "GET" && r.URL.Query().Get("email") == "ada@example.com":
			_, _ = w.Write([]byte(`{"id":"c-1","name":"Ada"}`))
		case r.Method == "POST" && r.URL.Path == "/customers/c-1/tickets" && r.Header.Get("Idempotency-Key") != "":
			_, _ = w.Write([]byte(`{"ticket":"T-9"}`))
		default:
			w.WriteHeader(400)
			_, _ = w.Write([]byte(`{"error":"bad request ` + r.Method + " " + r.URL.String() + `"}`))
		}
	}))
	defer crm.Close()

	st, err := storesqlite.Open(ctx, filepath.Join(t.TempDir(), "weft.db"), storesqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	usage := ai.NewMemoryUsage()
	svc, err := ai.NewService(ai.Config{Usage: usage})
	if err != nil {
		t.Fatal(err)
	}
	reg := step.NewRegistry()
	if err := standard.RegisterWith(reg, standard.Options{AI: svc}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := st.PutWorkflow(ctx, weft.WorkflowRecord{Name: "helpdesk", Source: agentWorkflow, Enabled: true}); err != nil {
		t.Fatal(err)
	}
	eng, err := engine.New(engine.Config{Store: st, Registry: reg, Connections: step.CredentialsOnly(fake.CredentialsFor("sk-test")),
		EnvAllowlist: []string{"CRM_URL"}, LookupEnv: func(k string) (string, bool) { return crm.URL, k == "CRM_URL" },
		PollInterval: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { defer close(done); _ = eng.Run(runCtx) }()
	defer func() { stop(); <-done }()

	id, err := eng.Start(ctx, engine.StartRequest{Workflow: "helpdesk", Input: json.RawMessage(`{"body":{"question":"My export is broken, I am ada@example.com"}}`), Trigger: weft.TriggerManual})
	if err != nil {
		t.Fatal(err)
	}
	wctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	ex, err := eng.Wait(wctx, id.Execution.ID)
	if err != nil || ex.Status != weft.ExecutionSucceeded {
		t.Fatalf("execution: %v %+v %+v", err, ex.Status, ex.Error)
	}
	runs, _ := st.GetStepRuns(ctx, id.Execution.ID)
	var out struct {
		Text      string    `json:"text"`
		Turns     []ai.Turn `json:"turns"`
		ToolCalls int       `json:"tool_calls"`
		Usage     ai.Usage  `json:"usage"`
	}
	if err := json.Unmarshal(runs[0].Output, &out); err != nil {
		t.Fatal(err)
	}
	if out.Text != `Opened ticket {"ticket":"T-9"}` && !strings.Contains(out.Text, "T-9") {
		t.Fatalf("final text %q", out.Text)
	}
	if len(out.Turns) != 3 || out.ToolCalls != 2 || out.Turns[0].ToolCalls[0].Output == nil || out.Turns[1].ToolCalls[0].Error != "" {
		t.Fatalf("turns = %+v", out.Turns)
	}
	if n := fake.Count(nil); n != 3 {
		t.Fatalf("model calls = %d, want 3", n)
	}
	if crmCalls.Load() != 2 {
		t.Fatalf("tool calls at the CRM = %d", crmCalls.Load())
	}
	fu := fake.TotalUsage()
	if out.Usage.InputTokens != fu.InputTokens || out.Usage.OutputTokens != fu.OutputTokens {
		t.Fatalf("agent usage %+v, fake reported %+v", out.Usage, fu)
	}

	// Replay: run the step again from the state recorded after turn 2 (as
	// after a crash between turns): only the last turn reaches the model,
	// and no tool runs again.
	reg2, _ := reg.Lookup(ai.TypeAgent)
	var st2 struct {
		Messages []ai.Message `json:"messages"`
		Turns    []ai.Turn    `json:"turns"`
	}
	st2.Turns = out.Turns[:2]
	for _, tr := range st2.Turns {
		var calls []ai.ToolCall
		for _, tc := range tr.ToolCalls {
			calls = append(calls, ai.ToolCall{ID: tc.ID, Name: tc.Name, Arguments: tc.Arguments})
		}
		st2.Messages = append(st2.Messages, ai.Message{Role: "assistant", Content: tr.Text, ToolCalls: calls})
		for _, tc := range tr.ToolCalls {
			b, _ := json.Marshal(tc.Output)
			st2.Messages = append(st2.Messages, ai.Message{Role: "tool", ToolCallID: tc.ID, Name: tc.Name, Content: string(b)})
		}
	}
	state, _ := json.Marshal(st2)
	var with map[string]any
	_ = json.Unmarshal(runs[0].Input, &with)
	env := &step.Env{Connections: step.CredentialsOnly(fake.CredentialsFor("sk-test")), HTTP: http.DefaultClient, Emit: func(string, any) {}}
	res, err := reg2.Handler.Run(ctx, &step.Request{Workflow: "helpdesk", ExecutionID: id.Execution.ID, StepID: "assistant", Item: -1, With: with, State: state, Env: env, IdempotencyKey: id.Execution.ID + "/assistant"})
	if err != nil || res.Output == nil {
		t.Fatalf("replay: %v %+v", err, res)
	}
	if n := fake.Count(nil); n != 4 {
		t.Fatalf("after the replay the model got %d calls in all, want 4 (one new)", n)
	}
	if crmCalls.Load() != 2 {
		t.Fatalf("a recorded tool call ran again: %d CRM calls", crmCalls.Load())
	}
}
