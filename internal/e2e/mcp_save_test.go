package e2e

import (
	"bytes"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// mcpSaveWorkflow calls get-sum of the reference server; A is the literal
// first argument.
func mcpSaveWorkflow(tool, a string) string {
	return `name: mcp-save
on:
  webhook: { path: mcp-save, method: POST }
steps:
  - id: sum
    uses: mcp.call
    with:
      connection: ev-http
      tool: ` + tool + `
      arguments: { a: ` + a + `, b: "{{ trigger.body.b }}" }
`
}

// putDoc PUTs a YAML workflow document and decodes the answer.
func putDoc(t *testing.T, s *server, name, doc string, out any) int {
	t.Helper()
	req, _ := http.NewRequest("PUT", s.url+"/api/v1/workflows/"+name, bytes.NewReader([]byte(doc)))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/yaml")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	_ = json.NewDecoder(resp.Body).Decode(out)
	return resp.StatusCode
}

type apiError struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

// TestMCPSaveTimeChecksAgainstServerEverything: once the reference
// server's tools are listed (a connection test), a workflow whose mcp.call
// gives get-sum a string for the number `a` is refused at save with 422
// naming the step and the argument; the list survives a restart; the right
// workflow is saved and its run adds.
func TestMCPSaveTimeChecksAgainstServerEverything(t *testing.T) {
	t.Parallel()
	modules := mcpModules(t)
	httpURL := startEverythingHTTP(t, modules)
	data := t.TempDir()
	srv := startServer(t, nil, "--data", data)
	if code, err := srv.api("PUT", "/api/v1/credentials/ev-http", map[string]any{"type": "mcp", "data": map[string]any{"url": httpURL}}, nil); err != nil || code/100 != 2 {
		t.Fatalf("creating the connection: %d %v", code, err)
	}
	wrong := mcpSaveWorkflow("get-sum", `"two"`)

	// Never listed: the schema is unknown, so the save is accepted (the
	// check before the call still applies).
	var saved map[string]any
	if code := putDoc(t, srv, "mcp-save", wrong, &saved); code/100 != 2 {
		t.Fatalf("save before any listing = %d %v, want accepted", code, saved)
	}

	var test struct {
		OK      bool   `json:"ok"`
		Message string `json:"message"`
	}
	if code, err := srv.api("POST", "/api/v1/credentials/ev-http/test", map[string]any{}, &test); err != nil || code != 200 || !test.OK {
		t.Fatalf("testing the connection: %d %v %+v", code, err, test)
	}
	if !strings.Contains(test.Message, "tools/list answered") {
		t.Errorf("test message %q", test.Message)
	}
	var list struct {
		Tools []struct {
			Name        string         `json:"name"`
			InputSchema map[string]any `json:"input_schema"`
		} `json:"tools"`
		ListedAt time.Time `json:"listed_at"`
	}
	if code, err := srv.api("GET", "/api/v1/connections/ev-http/mcp/tools", nil, &list); err != nil || code != 200 {
		t.Fatalf("listing the tools: %d %v", code, err)
	}
	names := map[string]bool{}
	for _, tl := range list.Tools {
		names[tl.Name] = tl.InputSchema != nil
	}
	if !names["echo"] || !names["get-sum"] || list.ListedAt.IsZero() {
		t.Fatalf("stored tools %v at %v, want echo and get-sum with schemas", names, list.ListedAt)
	}

	check := func(s *server, when string) {
		t.Helper()
		var e apiError
		if code := putDoc(t, s, "mcp-save", wrong, &e); code != 422 {
			t.Fatalf("%s: save with a string for get-sum's a = %d %+v, want 422", when, code, e)
		}
		for _, w := range []string{`step "sum" (mcp.call)`, `tool "get-sum"`, "at /a:", "want number"} {
			if !strings.Contains(e.Error.Message, w) {
				t.Errorf("%s: message %q lacks %q", when, e.Error.Message, w)
			}
		}
		t.Logf("%s: %s", when, e.Error.Message)
	}
	check(srv, "after the test")

	var e apiError
	if code := putDoc(t, srv, "mcp-save", mcpSaveWorkflow("get-sun", "2"), &e); code != 422 || !strings.Contains(e.Error.Message, "did you mean get-sum") {
		t.Fatalf("save with tool get-sun = %d %q, want 422 suggesting get-sum", code, e.Error.Message)
	}

	// The list is in the database: a restarted server still checks.
	srv.kill()
	srv = startServer(t, nil, "--data", data)
	check(srv, "after a restart")

	if code := putDoc(t, srv, "mcp-save", mcpSaveWorkflow("get-sum", "2"), &saved); code != 200 {
		t.Fatalf("save of the right workflow = %d %v", code, saved)
	}
	id, err := srv.hook("mcp-save", `{"b": 3}`)
	if err != nil {
		t.Fatal(err)
	}
	ex := waitFinished(t, srv, []string{id}, 60*time.Second)[id]
	if ex.Status != "succeeded" {
		t.Fatalf("execution %+v %+v", ex, ex.Error)
	}
	if sum := stepOutput(t, srv, id, "sum"); !strings.Contains(sum, "5") {
		t.Fatalf("get-sum output %s, want the sum 5", sum)
	}
}

// TestMCPSaveTimeChecksOfWorkflowFilesAtStart: the files of --workflows get
// the checks of a save through the API. Once the reference server's tools
// are stored, a file naming a tool it lacks or giving get-sum a string for
// `a` stops the start with the file, line and fix; the right file loads and
// runs.
func TestMCPSaveTimeChecksOfWorkflowFilesAtStart(t *testing.T) {
	t.Parallel()
	modules := mcpModules(t)
	httpURL := startEverythingHTTP(t, modules)
	data := t.TempDir()
	srv := startServer(t, nil, "--data", data)
	if code, err := srv.api("PUT", "/api/v1/credentials/ev-http", map[string]any{"type": "mcp", "data": map[string]any{"url": httpURL}}, nil); err != nil || code/100 != 2 {
		t.Fatalf("creating the connection: %d %v", code, err)
	}
	var test struct {
		OK bool `json:"ok"`
	}
	if code, err := srv.api("POST", "/api/v1/credentials/ev-http/test", map[string]any{}, &test); err != nil || code != 200 || !test.OK {
		t.Fatalf("testing the connection (which stores its tools): %d %v %+v", code, err, test)
	}
	srv.kill()

	wfDir := t.TempDir()
	refused := func(doc string, want ...string) {
		t.Helper()
		writeWorkflow(t, wfDir, "mcp-save", doc)
		ctx, cancel := ctxTimeout(30 * time.Second)
		defer cancel()
		cmd := exec.CommandContext(ctx, binary, "serve", "--addr", freeAddr(t), "--data", data, "--workflows", wfDir, "--seed", "false", "--log-format", "text")
		cmd.Env = append(os.Environ(), "WEFT_ADMIN_TOKEN="+token, "WEFT_ALLOW_PRIVATE_NET=127.0.0.0/8", "WEFT_MASTER_KEY="+testMasterKey)
		out, err := cmd.CombinedOutput()
		if err == nil || ctx.Err() != nil {
			t.Fatalf("weft serve with a wrong mcp.call in --workflows did not refuse to start: %v\n%s", err, out)
		}
		for _, w := range append([]string{"mcp-save.yaml:5:5:", `step "sum" (mcp.call)`}, want...) {
			if !strings.Contains(string(out), w) {
				t.Errorf("start refused with %q, which lacks %q", out, w)
			}
		}
	}
	refused(mcpSaveWorkflow("get-sun", "2"), `lists no tool "get-sun"`, "did you mean get-sum")
	refused(mcpSaveWorkflow("get-sum", `"two"`), `tool "get-sum"`, "at /a:", "want number")

	writeWorkflow(t, wfDir, "mcp-save", mcpSaveWorkflow("get-sum", "2"))
	srv = startServer(t, nil, "--data", data, "--workflows", wfDir)
	id, err := srv.hook("mcp-save", `{"b": 3}`)
	if err != nil {
		t.Fatal(err)
	}
	ex := waitFinished(t, srv, []string{id}, 60*time.Second)[id]
	if ex.Status != "succeeded" {
		t.Fatalf("execution %+v %+v", ex, ex.Error)
	}
	if sum := stepOutput(t, srv, id, "sum"); !strings.Contains(sum, "5") {
		t.Fatalf("get-sum output %s, want the sum 5", sum)
	}
}
