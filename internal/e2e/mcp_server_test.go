package e2e

import (
	"encoding/json"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

const mcpToolWorkflow = `name: greet
description: Greets a person.
mcp: { tool: true, description: Greets a person by name. }
inputs:
  type: object
  required: [name]
  properties:
    name: { type: string, minLength: 1 }
steps:
  - id: settle
    uses: wait
    with: { for: 1500ms }
  - id: hello
    uses: transform
    with: { greeting: "Hello, {{ trigger.name }}!" }
`

const notATool = `name: hidden
steps:
  - id: a
    uses: transform
    with: { x: 1 }
`

// TestMCPServerWithTypeScriptClient calls a workflow exposed as a tool from
// the official TypeScript SDK's client through a real weft serve: the tool
// is listed with its inputs schema, a call with bad arguments is refused
// with the problems, a good call waits for the execution (progress while it
// runs) and answers its output, the execution appears in the API, and its
// resource is readable.
func TestMCPServerWithTypeScriptClient(t *testing.T) {
	t.Parallel()
	modules := mcpModules(t)
	data, wfDir := t.TempDir(), t.TempDir()
	writeWorkflow(t, wfDir, "greet", mcpToolWorkflow)
	writeWorkflow(t, wfDir, "hidden", notATool)
	srv := startServer(t, nil, "--data", data, "--workflows", wfDir)

	cmd := exec.Command("node", filepath.Join(filepath.Dir(modules), "client.mjs"), srv.url+"/mcp", token, "greet", `{"name":"Ada"}`)
	out, err := cmd.Output()
	if err != nil {
		var stderr []byte
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = ee.Stderr
		}
		t.Fatalf("the TypeScript client failed: %v\n%s\n%s", err, out, stderr)
	}
	var got struct {
		Tools []struct {
			Name        string         `json:"name"`
			Description string         `json:"description"`
			InputSchema map[string]any `json:"inputSchema"`
		} `json:"tools"`
		Result struct {
			IsError    bool `json:"isError"`
			Structured struct {
				ExecutionID string          `json:"execution_id"`
				Status      string          `json:"status"`
				Output      json.RawMessage `json:"output"`
			} `json:"structuredContent"`
		} `json:"result"`
		Bad struct {
			IsError bool `json:"isError"`
			Content []struct {
				Text string `json:"text"`
			} `json:"content"`
		} `json:"bad"`
		Resource struct {
			Contents []struct {
				Text string `json:"text"`
			} `json:"contents"`
		} `json:"resource"`
	}
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("client output: %v\n%s", err, out)
	}
	if len(got.Tools) != 1 || got.Tools[0].Name != "greet" || got.Tools[0].Description != "Greets a person by name." {
		t.Fatalf("tools = %+v, want only greet", got.Tools)
	}
	if req, _ := got.Tools[0].InputSchema["required"].([]any); len(req) != 1 || req[0] != "name" {
		t.Fatalf("greet's input schema = %v", got.Tools[0].InputSchema)
	}
	if got.Result.IsError || got.Result.Structured.Status != "succeeded" || !strings.Contains(string(got.Result.Structured.Output), "Hello, Ada!") {
		t.Fatalf("call result = %+v (%s)", got.Result, out)
	}
	if !got.Bad.IsError || len(got.Bad.Content) == 0 || !strings.Contains(got.Bad.Content[0].Text, "name") {
		t.Fatalf("a call without the required input = %+v", got.Bad)
	}
	if len(got.Resource.Contents) != 1 || !strings.Contains(got.Resource.Contents[0].Text, got.Result.Structured.ExecutionID) {
		t.Fatalf("execution resource = %+v", got.Resource)
	}
	id := got.Result.Structured.ExecutionID
	var ex struct {
		Status  string `json:"status"`
		Trigger string `json:"trigger"`
	}
	if code, err := srv.api("GET", "/api/v1/executions/"+id, nil, &ex); err != nil || code != 200 || ex.Status != "succeeded" || ex.Trigger != "mcp" {
		t.Fatalf("the execution in the API: %d %v %+v", code, err, ex)
	}

	// The same inputs bind the REST API's manual start.
	var apiErr struct {
		Error struct {
			Message string `json:"message"`
		} `json:"error"`
	}
	code, err := srv.api("POST", "/api/v1/workflows/greet/executions", map[string]any{"name": 42}, &apiErr)
	if err != nil || code != 422 || !strings.Contains(apiErr.Error.Message, "/name") {
		t.Fatalf("manual start with bad input: %d %v %+v", code, err, apiErr)
	}

	// Without a token there is no MCP.
	cmd = exec.Command("node", filepath.Join(filepath.Dir(modules), "client.mjs"), srv.url+"/mcp", "wrong-token", "greet", `{"name":"Ada"}`)
	if out, err := cmd.CombinedOutput(); err == nil || !strings.Contains(string(out), "401") {
		t.Fatalf("a wrong token was let in: %v\n%s", err, out)
	}
}
