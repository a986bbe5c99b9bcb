package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/weftworks/weft/connectors/apps/apptest"
	"github.com/weftworks/weft/connectors/apps/hubspot"
	"github.com/weftworks/weft/connectors/apps/slack"
	"github.com/weftworks/weft/internal/fakes/aifake"
)

// TestTicketTriageWithAppConnectorsUnderServe runs the shipped
// ticket-triage example under weft serve: HubSpot and Slack are reached by
// their app connectors through named connections whose base_url points at
// the fakes, and no token is in the file or the environment.
func TestTicketTriageWithAppConnectorsUnderServe(t *testing.T) {
	t.Parallel()
	crm := hubspot.NewFake(t)
	crm.PutContact("c-1", map[string]any{"firstname": "Ada", "lastname": "Lovelace", "plan": "enterprise"})
	crm.PutContact("c-2", map[string]any{"firstname": "Alan", "lastname": "Turing", "plan": "free"})
	chat := slack.NewFake(t)
	ai := aifake.New("sk-triage", func(c *aifake.Call) aifake.Reply {
		if strings.Contains(c.LastUser(), "broken") {
			return aifake.Reply{Text: `{"sentiment":"negative","category":"bug","summary":"The export is broken again."}`}
		}
		return aifake.Reply{Text: `{"sentiment":"positive","category":"question","summary":"Asks how to invite a colleague."}`}
	})
	t.Cleanup(ai.Close)
	src, err := os.ReadFile(filepath.Join("..", "..", "examples", "ticket-triage.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	writeWorkflow(t, dir, "ticket-triage", string(src))
	writeWorkflow(t, dir, "channels", `
name: channels
on:
  webhook: { path: channels, method: POST }
steps:
  - id: list
    uses: slack.list_channels
    with: { paginate: all }
`)
	s := startServer(t, nil, "--data", t.TempDir(), "--workflows", dir)
	putCredential(t, s, "hubspot", map[string]any{"type": "bearer", "data": map[string]any{"token": hubspot.Token}, "base_url": crm.URL})
	putCredential(t, s, "slack", map[string]any{"type": "bearer", "data": map[string]any{"token": slack.Token}, "base_url": chat.URL})
	putCredential(t, s, "openai", map[string]any{"type": "custom", "data": map[string]any{"api_key": "sk-triage", "base_url": ai.OpenAIURL()}})

	unhappy, err := s.hook("tickets", `{"ticket_id": "T-100", "customer_id": "c-1", "message": "The CSV export is broken again!"}`)
	if err != nil {
		t.Fatal(err)
	}
	happy, err := s.hook("tickets", `{"ticket_id": "T-101", "customer_id": "c-2", "message": "How do I invite a colleague?"}`)
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{unhappy, happy} {
		if ex := finished(t, s, id, 60*time.Second); ex.Status != "succeeded" {
			t.Fatalf("execution %s: %s %+v", id, ex.Status, ex.Steps)
		}
	}
	if tk := crm.Ticket("T-100"); tk["ai_sentiment"] != "negative" || tk["hs_ticket_category"] != "bug" {
		t.Fatalf("ticket T-100 in HubSpot = %v", tk)
	}
	var posts []apptest.Seen
	for _, r := range chat.Seen() {
		if r.Path == "/chat.postMessage" {
			posts = append(posts, r)
		}
	}
	if len(posts) != 1 || !strings.Contains(posts[0].JSON(t)["text"].(string), "Ada Lovelace") {
		t.Fatalf("slack posts = %+v", posts)
	}

	// Pagination through the engine: each page is a recorded suspension,
	// and the output gathers the channels of all three pages.
	id, err := s.hook("channels", `{}`)
	if err != nil {
		t.Fatal(err)
	}
	ex := finished(t, s, id, 30*time.Second)
	if ex.Status != "succeeded" {
		t.Fatalf("channels: %s %+v", ex.Status, ex.Steps)
	}
	var out struct {
		Items []any `json:"items"`
		Pages int   `json:"pages"`
	}
	if err := json.Unmarshal(ex.Steps[0].Output, &out); err != nil || len(out.Items) != 4 || out.Pages != 3 {
		t.Fatalf("list output = %s (%v)", ex.Steps[0].Output, err)
	}
	// The catalog lists every app step with its JSON Schema.
	var steps struct {
		Items []map[string]any `json:"items"`
	}
	if code, err := s.api("GET", "/api/v1/steps", nil, &steps); err != nil || code != 200 {
		t.Fatalf("GET /api/v1/steps: %d %v", code, err)
	}
	found := false
	for _, st := range steps.Items {
		if st["type"] == "stripe.create_refund" && st["app"] == "stripe" && st["schema"] != nil {
			found = true
		}
	}
	if !found {
		t.Fatalf("stripe.create_refund with its app and schema is not in GET /api/v1/steps")
	}
	// The console's app list and its Test connection button.
	var list struct {
		Items []struct {
			Name string           `json:"name"`
			Icon string           `json:"icon"`
			Auth []map[string]any `json:"auth"`
		} `json:"items"`
	}
	if code, err := s.api("GET", "/api/v1/apps", nil, &list); err != nil || code != 200 || len(list.Items) < 8 {
		t.Fatalf("GET /api/v1/apps: %d %v %d", code, err, len(list.Items))
	}
	var probe struct {
		OK      bool   `json:"ok"`
		Message string `json:"message"`
	}
	if code, err := s.api("POST", "/api/v1/credentials/slack/test", map[string]any{"app": "slack"}, &probe); err != nil || code != 200 || !probe.OK {
		t.Fatalf("testing the slack connection: %d %v %+v", code, err, probe)
	}
	putCredential(t, s, "slack-revoked", map[string]any{"type": "bearer", "data": map[string]any{"token": "xoxb-revoked"}, "base_url": chat.URL})
	if code, err := s.api("POST", "/api/v1/credentials/slack-revoked/test", map[string]any{"app": "slack"}, &probe); err != nil || code != 200 || probe.OK || !strings.Contains(probe.Message, "invalid_auth") {
		t.Fatalf("testing a revoked slack token: %d %v %+v", code, err, probe)
	}
}

// TestPaginationResumesAfterCrashUnderServe: weft serve is killed while an
// app step pages; after the restart the step goes on from the page after
// the last one recorded, not from the first.
func TestPaginationResumesAfterCrashUnderServe(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	cursors := map[string]int{}
	hold := make(chan struct{})
	var holdOnce sync.Once
	fake := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/conversations.list" || r.Header.Get("Authorization") != "Bearer "+slack.Token {
			http.NotFound(w, r)
			return
		}
		c := r.URL.Query().Get("cursor")
		mu.Lock()
		cursors[c]++
		first := cursors[c] == 1
		mu.Unlock()
		n, _ := strconv.Atoi(c)
		if n == 3 && first {
			holdOnce.Do(func() { close(hold) })
			select { // the server is killed meanwhile, which drops the connection
			case <-r.Context().Done():
				return
			case <-time.After(30 * time.Second):
			}
		}
		next := ""
		if n < 4 {
			next = strconv.Itoa(n + 1)
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"ok":true,"channels":[{"id":"C%d"}],"response_metadata":{"next_cursor":%q}}`, n, next)
	}))
	t.Cleanup(fake.Close)
	dir, data := t.TempDir(), t.TempDir()
	writeWorkflow(t, dir, "channels", `
name: channels
on:
  webhook: { path: channels, method: POST }
steps:
  - id: list
    uses: slack.list_channels
    with: { paginate: all }
`)
	args := []string{"--data", data, "--workflows", dir, "--lease", "2s"}
	s := startServer(t, nil, args...)
	putCredential(t, s, "slack", map[string]any{"type": "bearer", "data": map[string]any{"token": slack.Token}, "base_url": fake.URL})
	id, err := s.hook("channels", `{}`)
	if err != nil {
		t.Fatal(err)
	}
	select {
	case <-hold:
	case <-time.After(30 * time.Second):
		t.Fatal("the step never reached page 4")
	}
	s.kill()
	s = startServer(t, nil, args...)
	ex := finished(t, s, id, 60*time.Second)
	if ex.Status != "succeeded" {
		t.Fatalf("after the restart: %s %+v", ex.Status, ex.Steps)
	}
	var out struct {
		Items []any `json:"items"`
		Pages int   `json:"pages"`
	}
	if err := json.Unmarshal(ex.Steps[0].Output, &out); err != nil || len(out.Items) != 5 || out.Pages != 5 {
		t.Fatalf("output = %s", ex.Steps[0].Output)
	}
	mu.Lock()
	defer mu.Unlock()
	for _, c := range []string{"", "1", "2"} {
		if cursors[c] != 1 {
			t.Errorf("page with cursor %q was asked for %d times, want once (recorded before the crash)", c, cursors[c])
		}
	}
	if cursors["3"] != 2 {
		t.Errorf("the page in flight at the crash was asked for %d times, want 2", cursors["3"])
	}
}
