package e2e

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

const mcpCallWorkflow = `name: mcp-call
on:
  webhook: { path: mcp-call, method: POST }
steps:
  - id: echo
    uses: mcp.call
    with:
      connection: "{{ trigger.body.connection }}"
      tool: echo
      arguments: { message: "{{ trigger.body.message }}" }
  - id: sum
    uses: mcp.call
    with:
      connection: "{{ trigger.body.connection }}"
      tool: get-sum
      arguments: { a: 2, b: "{{ trigger.body.b }}" }
`

// TestMCPCallAgainstServerEverything runs mcp.call in a real weft serve
// against the reference MCP server, over stdio (an allowlisted command)
// and over Streamable HTTP, and checks the outputs the workflow records.
func TestMCPCallAgainstServerEverything(t *testing.T) {
	t.Parallel()
	modules := mcpModules(t)
	httpURL := startEverythingHTTP(t, modules)
	data, wfDir := t.TempDir(), t.TempDir()
	writeWorkflow(t, wfDir, "mcp-call", mcpCallWorkflow)
	srv := startServer(t, nil, "--data", data, "--workflows", wfDir,
		"--mcp-stdio-allow", "everything=node "+everythingJS(modules)+" stdio")
	for name, data := range map[string]map[string]any{
		"ev-stdio": {"stdio": "everything"},
		"ev-http":  {"url": httpURL},
		"ev-bad":   {"stdio": "not-allowlisted"},
	} {
		if code, err := srv.api("PUT", "/api/v1/credentials/"+name, map[string]any{"type": "mcp", "data": data}, nil); err != nil || code/100 != 2 {
			t.Fatalf("creating connection %s: %d %v", name, code, err)
		}
	}
	var bad map[string]any
	if code, _ := srv.api("PUT", "/api/v1/credentials/ev-none", map[string]any{"type": "mcp", "data": map[string]any{}}, &bad); code != 422 {
		t.Fatalf("an mcp connection without url or stdio: %d %v", code, bad)
	}
	for _, conn := range []string{"ev-stdio", "ev-http"} {
		id, err := srv.hook("mcp-call", `{"connection":"`+conn+`","message":"hello from weft","b":3}`)
		if err != nil {
			t.Fatal(err)
		}
		ex := waitFinished(t, srv, []string{id}, 60*time.Second)[id]
		if ex.Status != "succeeded" {
			t.Fatalf("%s: execution %+v", conn, ex)
		}
		echo, sum := stepOutput(t, srv, id, "echo"), stepOutput(t, srv, id, "sum")
		if !strings.Contains(echo, "Echo: hello from weft") {
			t.Fatalf("%s: echo output %s", conn, echo)
		}
		if !strings.Contains(sum, "5") {
			t.Fatalf("%s: get-sum output %s", conn, sum)
		}
		t.Logf("%s: echo %s; sum %s", conn, echo, sum)
	}
	id, err := srv.hook("mcp-call", `{"connection":"ev-bad","message":"x","b":1}`)
	if err != nil {
		t.Fatal(err)
	}
	ex := waitFinished(t, srv, []string{id}, 30*time.Second)[id]
	if ex.Status != "failed" || ex.Error == nil || !strings.Contains(ex.Error.Message, "is not allowlisted on this Weft") {
		t.Fatalf("a stdio server that is not allowlisted: %+v %+v", ex, ex.Error)
	}
}

// stepOutput returns a step's recorded output as JSON text.
func stepOutput(t *testing.T, s *server, id, stepID string) string {
	t.Helper()
	var ex struct {
		Steps []struct {
			StepID string          `json:"step_id"`
			Output json.RawMessage `json:"output"`
		} `json:"steps"`
	}
	if code, err := s.api("GET", "/api/v1/executions/"+id, nil, &ex); err != nil || code != 200 {
		t.Fatalf("reading execution %s: %d %v", id, code, err)
	}
	for _, st := range ex.Steps {
		if st.StepID == stepID {
			return string(st.Output)
		}
	}
	t.Fatalf("execution %s has no step %s", id, stepID)
	return ""
}
