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
	"github.com/weftworks/weft/connectors/standard"
	"github.com/weftworks/weft/engine"
	"github.com/weftworks/weft/internal/fakes"
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
	crm := fakes.NewCRM("crm-token", map[string]map[string]any{
		"c-1": {"id": "c-1", "name": "Ada Lovelace", "plan": "enterprise"},
		"c-2": {"id": "c-2", "name": "Alan Turing", "plan": "free"},
	})
	defer crm.Close()
	ai := aifake.New("ai-key", func(c *aifake.Call) aifake.Reply {
		if strings.Contains(c.LastUser(), "broken") {
			return aifake.Reply{Text: `{"sentiment":"negative","category":"bug","summary":"The export is broken again."}`}
		}
		return aifake.Reply{Text: `{"sentiment":"positive","category":"question","summary":"Asks how to invite a colleague."}`}
	})
	defer ai.Close()
	slack := fakes.NewSlack("xoxb-test")
	defer slack.Close()
	env := map[string]string{
		"CRM_URL": crm.URL, "CRM_TOKEN": "crm-token",
		"AI_MODEL": "gpt-4o-mini", "SLACK_URL": slack.URL, "SLACK_TOKEN": "xoxb-test", "SLACK_CHANNEL": "#support",
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
	allow := make([]string, 0, len(env))
	for k := range env {
		allow = append(allow, k)
	}
	eng, err := engine.New(engine.Config{Store: st, Registry: reg, EnvAllowlist: allow, PollInterval: 20 * time.Millisecond,
		Connections: step.CredentialsOnly(ai.CredentialsFor("ai-key")),
		LookupEnv:   func(k string) (string, bool) { v, ok := env[k]; return v, ok }})
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
	// The CRM got both analyses written back.
	if tk := crm.Ticket("T-100"); tk["sentiment"] != "negative" || tk["category"] != "bug" {
		t.Fatalf("ticket T-100 in CRM = %v", tk)
	}
	if tk := crm.Ticket("T-101"); tk["sentiment"] != "positive" {
		t.Fatalf("ticket T-101 in CRM = %v", tk)
	}
	// Only the unhappy customer reached Slack, once.
	posts := slack.Requests()
	if len(posts) != 1 || !strings.Contains(posts[0].Body["text"].(string), "Ada Lovelace") || posts[0].Body["channel"] != "#support" {
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
	for _, r := range crm.Requests() {
		if r.Method == http.MethodPatch && r.IdempotencyKey == "" {
			t.Fatalf("CRM update without idempotency key: %+v", r)
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
		if strings.Contains(string(r.Input), "crm-token") || strings.Contains(string(r.Input), "ai-key") {
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
