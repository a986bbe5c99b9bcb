package e2e

import (
	"context"
	"encoding/json"
	"net/http"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// TestMCPCallsAudited: through a real weft serve, every MCP tools/call is
// in the audit trail exactly once: a call that started an execution as
// mcp.call (actor the token's principal, target the workflow, the
// execution id and the token id in the detail), a call with bad input and
// a call of a tool the token may not see as mcp.call.refused; the admin
// token's call is recorded as "admin"; the trail's hash chain verifies
// with weft audit verify.
func TestMCPCallsAudited(t *testing.T) {
	t.Parallel()
	data, wfDir := t.TempDir(), t.TempDir()
	writeWorkflow(t, wfDir, "tool-a", "name: tool-a\nmcp: { tool: true, name: tool_a }\ninputs: { type: object, properties: { n: { type: integer } } }\nsteps:\n  - id: a\n    uses: transform\n    with: { n: \"{{ trigger.n }}\" }\n")
	writeWorkflow(t, wfDir, "tool-b", "name: tool-b\nmcp: { tool: true }\nsteps:\n  - id: a\n    uses: transform\n    with: { x: 1 }\n")
	srv := startServer(t, nil, "--data", data, "--workflows", wfDir)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	var u map[string]any
	if code, err := srv.api("POST", "/api/v1/users", map[string]any{"email": "bot", "role": "operator", "kind": "service"}, &u); err != nil || code != 201 {
		t.Fatalf("creating a user: %d %v", code, err)
	}
	var tok struct {
		Token  string              `json:"token"`
		Record struct{ ID string } `json:"record"`
	}
	if code, err := srv.api("POST", "/api/v1/tokens", map[string]any{"name": "mcp", "user_id": u["id"], "scopes": []string{"mcp:call:tool-a"}}, &tok); err != nil || code != 201 {
		t.Fatalf("creating a token: %d %v", code, err)
	}
	connect := func(tk string) *mcp.ClientSession {
		c := mcp.NewClient(&mcp.Implementation{Name: "e2e", Version: "1"}, nil)
		cs, err := c.Connect(ctx, &mcp.StreamableClientTransport{Endpoint: srv.url + "/mcp", HTTPClient: &http.Client{Transport: bearerTransport{tk, &http.Transport{}}}, MaxRetries: -1}, nil)
		if err != nil {
			t.Fatalf("connecting: %v", err)
		}
		t.Cleanup(func() { cs.Close() })
		return cs
	}
	call := func(cs *mcp.ClientSession, name string, args map[string]any) (string, bool) {
		res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: name, Arguments: args})
		if err != nil {
			return "", false
		}
		var out struct {
			ExecutionID string `json:"execution_id"`
		}
		b, _ := json.Marshal(res.StructuredContent)
		_ = json.Unmarshal(b, &out)
		return out.ExecutionID, !res.IsError
	}

	bot := connect(tok.Token)
	exID, ok := call(bot, "tool_a", map[string]any{"n": 1})
	if !ok || exID == "" {
		t.Fatal("the scoped token's call of tool_a failed")
	}
	if _, ok := call(bot, "tool_a", map[string]any{"n": "one"}); ok {
		t.Fatal("a call with bad input succeeded")
	}
	if _, ok := call(bot, "tool-b", map[string]any{}); ok {
		t.Fatal("the scoped token called tool-b")
	}
	adminID, ok := call(connect(token), "tool-b", map[string]any{})
	if !ok || adminID == "" {
		t.Fatal("the admin token's call of tool-b failed")
	}

	var trail struct {
		Items []struct {
			Actor  string         `json:"actor"`
			Source string         `json:"source"`
			Action string         `json:"action"`
			Target string         `json:"target"`
			Detail map[string]any `json:"detail"`
		} `json:"items"`
	}
	if code, err := srv.api("GET", "/api/v1/audit?action=mcp.", nil, &trail); err != nil || code != 200 {
		t.Fatalf("reading the audit trail: %d %v", code, err)
	}
	var got []string
	for i := len(trail.Items) - 1; i >= 0; i-- { // oldest first
		e := trail.Items[i]
		if e.Source != "127.0.0.1" {
			t.Errorf("entry %+v: source %q, want the client's address", e, e.Source)
		}
		d := ""
		for _, k := range []string{"execution_id", "reason", "token_id"} {
			if v, ok := e.Detail[k].(string); ok {
				d += " " + k + "=" + v
			}
		}
		got = append(got, e.Actor+" | "+e.Action+" | "+e.Target+" |"+d)
	}
	want := []string{
		"bot (token mcp) | mcp.call | tool-a | execution_id=" + exID + " token_id=" + tok.Record.ID,
		"bot (token mcp) | mcp.call.refused | tool-a | reason=invalid input token_id=" + tok.Record.ID,
		"bot (token mcp) | mcp.call.refused | tool-b | reason=not a tool of this session: unknown, disabled or not allowed for this token token_id=" + tok.Record.ID,
		"admin | mcp.call | tool-b | execution_id=" + adminID,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("the audit trail's MCP entries:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}

	var rep struct {
		Checked int64 `json:"checked"`
		Broken  any   `json:"broken"`
	}
	if code, err := srv.api("GET", "/api/v1/audit/verify", nil, &rep); err != nil || code != 200 || rep.Broken != nil || rep.Checked < 4 {
		t.Fatalf("audit verify: %d %v %+v", code, err, rep)
	}
	srv.kill()
	if out, err := exec.Command(binary, "audit", "verify", "--db", filepath.Join(data, "weft.db")).CombinedOutput(); err != nil || !strings.Contains(string(out), "ok:") {
		t.Fatalf("weft audit verify: %v\n%s", err, out)
	}
}
