package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/weftworks/weft/internal/fakes/aifake"
)

// TestAIStepsUseTheConnectionUnderServe: without --allow-private-net an
// ai.chat step whose credential has allow_private_net 127.0.0.0/8 reaches
// a model server on loopback (a local Ollama or vLLM), while the same call
// through a credential without it is refused by the SSRF guard; GET
// /api/v1/connections shows the success of the one and the failure of the
// other.
func TestAIStepsUseTheConnectionUnderServe(t *testing.T) {
	t.Parallel()
	fake := aifake.New("sk-e2e-local", func(*aifake.Call) aifake.Reply { return aifake.Reply{Text: "hello from loopback"} })
	t.Cleanup(fake.Close)
	dir := t.TempDir()
	for _, name := range []string{"local", "outside"} {
		writeWorkflow(t, dir, "ask-"+name, fmt.Sprintf(`
name: ask-%[1]s
on:
  webhook: { path: ask-%[1]s, method: POST }
steps:
  - id: chat
    uses: ai.chat
    retry: { max_attempts: 1 }
    with: { provider: openai-compatible, base_url: "%[2]s", model: llama3.1, credential: %[1]s, prompt: hi, stream: false }
`, name, fake.OpenAIURL()))
	}
	s := startServerNoPrivateNet(t, "--data", t.TempDir(), "--workflows", dir)
	putCredential(t, s, "local", map[string]any{"type": "api_key", "data": map[string]any{"api_key": "sk-e2e-local"},
		"allow_private_net": []string{"127.0.0.0/8"}})
	putCredential(t, s, "outside", map[string]any{"type": "api_key", "data": map[string]any{"api_key": "sk-e2e-local"}})

	id, err := s.hook("ask-local", `{}`)
	if err != nil {
		t.Fatal(err)
	}
	ex := finished(t, s, id, 30*time.Second)
	if ex.Status != "succeeded" || !strings.Contains(string(ex.Steps[0].Output), "hello from loopback") {
		t.Fatalf("through the connection's allow_private_net: execution %s %+v", ex.Status, ex.Steps)
	}
	id, err = s.hook("ask-outside", `{}`)
	if err != nil {
		t.Fatal(err)
	}
	ex = finished(t, s, id, 30*time.Second)
	if ex.Status != "failed" || ex.Steps[0].Error == nil || !strings.Contains(ex.Steps[0].Error.Message, "127.0.0.1") {
		t.Fatalf("without allow_private_net: execution %s %+v, want failed by the SSRF guard", ex.Status, ex.Steps)
	}
	if n := fake.Count(func(*aifake.Call) bool { return true }); n != 1 {
		t.Fatalf("the model server got %d calls, want 1 (the outside call refused before it)", n)
	}

	var list struct {
		Items []struct {
			Name   string `json:"name"`
			Status struct {
				LastSuccess *time.Time `json:"last_success"`
				LastFailure *time.Time `json:"last_failure"`
				LastError   string     `json:"last_error"`
			} `json:"status"`
		} `json:"items"`
	}
	if code, err := s.api("GET", "/api/v1/connections", nil, &list); err != nil || code != 200 {
		t.Fatalf("GET /api/v1/connections: %d %v", code, err)
	}
	seen := 0
	for _, c := range list.Items {
		switch c.Name {
		case "local":
			seen++
			if c.Status.LastSuccess == nil || c.Status.LastFailure != nil {
				t.Fatalf("connection local: status %+v, want a last success and no failure", c.Status)
			}
		case "outside":
			seen++
			if c.Status.LastFailure == nil || c.Status.LastSuccess != nil || c.Status.LastError == "" {
				t.Fatalf("connection outside: status %+v, want a last failure with its error", c.Status)
			}
			if strings.Contains(c.Status.LastError, "sk-e2e-local") {
				t.Fatalf("connection outside: the key is in last_error: %s", c.Status.LastError)
			}
		}
	}
	if seen != 2 {
		t.Fatalf("GET /api/v1/connections listed %d of the 2 connections: %+v", seen, list.Items)
	}
}
