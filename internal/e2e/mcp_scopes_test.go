package e2e

import (
	"context"
	"net/http"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// bearerTransport adds a token over a transport of its own, so no other
// test closing http.DefaultTransport's connections breaks a session.
type bearerTransport struct {
	tok string
	rt  *http.Transport
}

func (b bearerTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", "Bearer "+b.tok)
	return b.rt.RoundTrip(r)
}

func mcpToolNames(t *testing.T, ctx context.Context, cs *mcp.ClientSession) []string {
	t.Helper()
	res, err := cs.ListTools(ctx, nil)
	if err != nil {
		t.Fatalf("tools/list: %v", err)
	}
	var names []string
	for _, tl := range res.Tools {
		names = append(names, tl.Name)
	}
	sort.Strings(names)
	return names
}

// TestMCPScopedTokens: through a real weft serve, a user's API token scoped
// mcp:call:<workflow> sees and calls that workflow's tool only, a viewer's
// token (whose role lacks mcp:call) sees none, the admin token sees every
// tool, and a revoked token is refused at its next request.
func TestMCPScopedTokens(t *testing.T) {
	t.Parallel()
	data, wfDir := t.TempDir(), t.TempDir()
	for _, name := range []string{"tool-a", "tool-b"} {
		writeWorkflow(t, wfDir, name, "name: "+name+"\nmcp: { tool: true, description: a tool }\nsteps:\n  - id: a\n    uses: transform\n    with: { who: \""+name+"\" }\n")
	}
	srv := startServer(t, nil, "--data", data, "--workflows", wfDir)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	mkToken := func(email, role string, scopes []string) (id, value string) {
		var u map[string]any
		if code, err := srv.api("POST", "/api/v1/users", map[string]any{"email": email, "role": role, "kind": "service"}, &u); err != nil || code != 201 {
			t.Fatalf("creating %s: %d %v", email, code, err)
		}
		var tok struct {
			Token  string              `json:"token"`
			Record struct{ ID string } `json:"record"`
		}
		if code, err := srv.api("POST", "/api/v1/tokens", map[string]any{"name": "mcp", "user_id": u["id"], "scopes": scopes}, &tok); err != nil || code != 201 || tok.Token == "" {
			t.Fatalf("creating a token for %s: %d %v", email, code, err)
		}
		return tok.Record.ID, tok.Token
	}
	connect := func(tok string) (*mcp.ClientSession, error) {
		c := mcp.NewClient(&mcp.Implementation{Name: "e2e", Version: "1"}, nil)
		return c.Connect(ctx, &mcp.StreamableClientTransport{Endpoint: srv.url + "/mcp", HTTPClient: &http.Client{Transport: bearerTransport{tok, &http.Transport{}}}, MaxRetries: -1}, nil)
	}

	scopedID, scoped := mkToken("bot", "operator", []string{"mcp:call:tool-a"})
	cs, err := connect(scoped)
	if err != nil {
		t.Fatalf("connecting with the scoped token: %v", err)
	}
	if got := mcpToolNames(t, ctx, cs); strings.Join(got, ",") != "tool-a" {
		t.Fatalf("the scoped token lists %v, want only tool-a", got)
	}
	res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "tool-a", Arguments: map[string]any{}})
	if err != nil || res.IsError {
		t.Fatalf("the scoped token calling tool-a: %v %+v", err, res)
	}
	res, err = cs.CallTool(ctx, &mcp.CallToolParams{Name: "tool-b", Arguments: map[string]any{}})
	if err == nil && !res.IsError {
		t.Fatalf("the scoped token called tool-b: %+v", res)
	}

	_, viewer := mkToken("watcher", "viewer", []string{"workflows:read"})
	vs, err := connect(viewer)
	if err != nil {
		t.Fatalf("connecting with a viewer's token: %v", err)
	}
	if got := mcpToolNames(t, ctx, vs); len(got) != 0 {
		t.Fatalf("a viewer's token lists %v, want none", got)
	}
	vs.Close()

	as, err := connect(token)
	if err != nil {
		t.Fatalf("connecting with the admin token: %v", err)
	}
	if got := mcpToolNames(t, ctx, as); strings.Join(got, ",") != "tool-a,tool-b" {
		t.Fatalf("the admin token lists %v", got)
	}
	as.Close()

	if code, err := srv.api("DELETE", "/api/v1/tokens/"+scopedID, nil, nil); err != nil || code != 204 {
		t.Fatalf("revoking: %d %v", code, err)
	}
	if _, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "tool-a", Arguments: map[string]any{}}); err == nil {
		t.Fatal("a revoked token still calls tools")
	}
	cs.Close()
	if _, err := connect(scoped); err == nil {
		t.Fatal("a revoked token connected")
	}
}
