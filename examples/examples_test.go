package examples_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/connectors/apps/apptest"
	"github.com/weftworks/weft/connectors/apps/hubspot"
	"github.com/weftworks/weft/connectors/apps/slack"
	"github.com/weftworks/weft/connectors/standard"
	"github.com/weftworks/weft/engine"
	"github.com/weftworks/weft/internal/fakes/aifake"
	"github.com/weftworks/weft/step"
	"github.com/weftworks/weft/store"
	"github.com/weftworks/weft/store/storesqlite"
	"github.com/weftworks/weft/trigger/webhook"
	"github.com/weftworks/weft/workflow"
)

// TestEveryExampleValidates keeps the shipped examples valid.
func TestEveryExampleValidates(t *testing.T) {
	t.Parallel()
	reg := step.NewRegistry()
	if err := standard.Register(reg); err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob("*.yaml")
	benches, _ := filepath.Glob("../bench/*.yaml")
	files = append(files, benches...)
	if len(files) < 3 {
		t.Fatalf("found only %v", files)
	}
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := workflow.Parse(f, src, reg); err != nil {
			t.Errorf("%s:\n%v", f, err)
		}
	}
}

// TestTicketTriageEndToEnd sends support tickets to the example's webhook and
// checks what the fake CRM, AI and Slack servers received.
func TestTicketTriageEndToEnd(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	crm := hubspot.NewFake(t)
	crm.PutContact("c-1", map[string]any{"firstname": "Ada", "lastname": "Lovelace", "plan": "enterprise"})
	crm.PutContact("c-2", map[string]any{"firstname": "Alan", "lastname": "Turing", "plan": "free"})
	ai := aifake.New("ai-key", func(c *aifake.Call) aifake.Reply {
		if strings.Contains(c.LastUser(), "broken") {
			return aifake.Reply{Text: `{"sentiment":"negative","category":"bug","summary":"The export is broken again."}`}
		}
		return aifake.Reply{Text: `{"sentiment":"positive","category":"question","summary":"Asks how to invite a colleague."}`}
	})
	defer ai.Close()
	chat := slack.NewFake(t)
	// Named connections only: no token reaches the workflow file or env.
	conns := apptest.Connections{
		"hubspot": {Type: "bearer", Data: map[string]string{"token": hubspot.Token}, BaseURL: crm.URL},
		"slack":   {Type: "bearer", Data: map[string]string{"token": slack.Token}, BaseURL: chat.URL},
		"openai":  {Type: "api_key", Data: map[string]string{"api_key": "ai-key", "base_url": ai.OpenAIURL()}},
	}

	st, err := storesqlite.Open(ctx, filepath.Join(t.TempDir(), "weft.db"), storesqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	reg := step.NewRegistry()
	if err := standard.Register(reg); err != nil {
		t.Fatal(err)
	}
	src, err := os.ReadFile("ticket-triage.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := st.PutWorkflow(ctx, weft.WorkflowRecord{Name: "ticket-triage", Source: string(src), WebhookPath: "tickets", Enabled: true}); err != nil {
		t.Fatal(err)
	}
	eng, err := engine.New(engine.Config{Store: st, Registry: reg, PollInterval: 20 * time.Millisecond, Connections: conns})
	if err != nil {
		t.Fatal(err)
	}
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { defer close(done); _ = eng.Run(runCtx) }()
	defer func() { stop(); <-done }()
	hooks, err := webhook.New(webhook.Config{Engine: eng, Store: st})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(hooks)
	defer srv.Close()

	send := func(body string) string {
		resp, err := http.Post(srv.URL+"/hooks/tickets", "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out struct {
			ExecutionID string `json:"execution_id"`
		}
		_ = json.NewDecoder(resp.Body).Decode(&out)
		if resp.StatusCode != http.StatusAccepted || out.ExecutionID == "" {
			t.Fatalf("webhook answered %d %+v", resp.StatusCode, out)
		}
		return out.ExecutionID
	}
	unhappy := send(`{"ticket_id": "T-100", "customer_id": "c-1", "message": "The CSV export is broken again!"}`)
	happy := send(`{"ticket_id": "T-101", "customer_id": "c-2", "message": "How do I invite a colleague?"}`)

	wctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	for _, id := range []string{unhappy, happy} {
		ex, err := eng.Wait(wctx, id)
		if err != nil || ex.Status != weft.ExecutionSucceeded {
			t.Fatalf("execution %s: %s %v %+v", id, ex.Status, err, ex.Error)
		}
	}
	// HubSpot got both analyses written onto the tickets.
	if tk := crm.Ticket("T-100"); tk["ai_sentiment"] != "negative" || tk["hs_ticket_category"] != "bug" {
		t.Fatalf("ticket T-100 in HubSpot = %v", tk)
	}
	if tk := crm.Ticket("T-101"); tk["ai_sentiment"] != "positive" {
		t.Fatalf("ticket T-101 in HubSpot = %v", tk)
	}
	// Only the unhappy customer reached Slack, once, with the bot token.
	var posts []apptest.Seen
	for _, s := range chat.Seen() {
		if s.Path == "/chat.postMessage" {
			posts = append(posts, s)
		}
	}
	if len(posts) != 1 || !strings.Contains(posts[0].JSON(t)["text"].(string), "Ada Lovelace") || posts[0].JSON(t)["channel"] != "#support" ||
		posts[0].Header.Get("Authorization") != "Bearer "+slack.Token {
		t.Fatalf("slack received %+v", posts)
	}
	// The AI saw the CRM's customer data, and the CRM PATCH carried an idempotency key.
	calls := ai.Calls()
	if len(calls) != 2 {
		t.Fatalf("AI received %d calls", len(calls))
	}
	// The model was asked for structured output with the example's schema,
	// and saw the CRM's customer data.
	for _, c := range calls {
		if c.Schema == nil || c.Header.Get("Authorization") != "Bearer ai-key" {
			t.Fatalf("AI call without native structured output or key: %+v", c)
		}
	}
	if !strings.Contains(calls[0].LastUser()+calls[1].LastUser(), "Ada Lovelace (enterprise plan)") {
		t.Fatalf("the prompt lacks the CRM data: %q / %q", calls[0].LastUser(), calls[1].LastUser())
	}
	for _, r := range crm.Seen() {
		if r.Header.Get("Authorization") != "Bearer "+hubspot.Token {
			t.Fatalf("HubSpot call without the connection's token: %s %s", r.Method, r.Path)
		}
	}
	runs, err := st.GetStepRuns(ctx, happy)
	if err != nil {
		t.Fatal(err)
	}
	statuses := map[string]weft.StepStatus{}
	for _, r := range runs {
		statuses[r.StepID] = r.Status
		// Tokens never reach the execution record.
		if strings.Contains(string(r.Input), hubspot.Token) || strings.Contains(string(r.Input), "ai-key") {
			t.Fatalf("step %s recorded a credential: %s", r.StepID, r.Input)
		}
	}
	if statuses["alert-slack"] != weft.StepSkipped || statuses["update-crm"] != weft.StepSucceeded {
		t.Fatalf("happy path statuses = %v", statuses)
	}
	list, _, err := st.ListExecutions(ctx, store.ExecutionFilter{Workflow: "ticket-triage"})
	if err != nil || len(list) != 2 {
		t.Fatalf("executions = %d, %v", len(list), err)
	}
}
