package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/connectors/mcp"
	"github.com/weftworks/weft/credential"
	"github.com/weftworks/weft/store"
)

// storedTools is an mcp.ToolStore holding fixed lists.
type storedTools map[string][]mcp.ToolInfo

func (s storedTools) SaveTools(context.Context, string, []mcp.ToolInfo, time.Time) error { return nil }

func (s storedTools) LoadTools(_ context.Context, connection string) ([]mcp.ToolInfo, time.Time, bool, error) {
	l, ok := s[connection]
	return l, time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), ok, nil
}

// serviceTools lends the API a real MCP client whose lists are stored.
type serviceTools struct{ svc *mcp.Service }

func (s serviceTools) Refresh(context.Context, string) ([]mcp.ToolInfo, error) {
	return nil, fmt.Errorf("no server in this test")
}

func (s serviceTools) Stored(ctx context.Context, connection string) ([]mcp.ToolInfo, time.Time, bool, error) {
	return s.svc.Stored(ctx, connection)
}

func (s serviceTools) CheckSaved(ctx context.Context, calls []mcp.SavedCall) ([]error, error) {
	return s.svc.CheckSaved(ctx, calls)
}

func setupMCP(t *testing.T) *testBundle {
	t.Helper()
	svc, err := mcp.NewService(mcp.Config{Store: storedTools{"calc": {{Name: "add", InputSchema: map[string]any{
		"type": "object", "required": []any{"a", "b"},
		"properties": map[string]any{"a": map[string]any{"type": "number"}, "b": map[string]any{"type": "number"}},
	}}}}})
	if err != nil {
		t.Fatal(err)
	}
	return setup(t, bundleOpts{extra: func(cfg *Config) { cfg.MCP = serviceTools{svc} }})
}

func mcpDoc(name string, steps ...string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "name: %s\nsteps:\n", name)
	for i, with := range steps {
		fmt.Fprintf(&b, "  - id: s%d\n    uses: mcp.call\n    with: %s\n", i, with)
	}
	return b.String()
}

func TestSaveChecksMCPCallArguments(t *testing.T) {
	t.Parallel()
	b := setupMCP(t)
	put := func(doc string) response {
		return b.do(t, req{method: "PUT", path: "/api/v1/workflows/m", body: doc, contentType: "application/yaml"})
	}
	// Right, expressions, unlisted servers: saved.
	for _, with := range []string{
		`{ connection: calc, tool: add, arguments: { a: 1, b: 2 } }`,
		`{ connection: calc, tool: add, arguments: { a: "{{ trigger.a }}", b: 2 } }`,
		`{ connection: calc, tool: add, arguments: "{{ trigger.body }}" }`,
		`{ connection: other, tool: anything, arguments: { a: x } }`,
		`{ connection: "{{ trigger.c }}", tool: add, arguments: { a: x } }`,
	} {
		if r := put(mcpDoc("m", with)); r.status/100 != 2 {
			t.Errorf("%s: %d %s, want saved", with, r.status, r.body)
		}
	}
	r := put(mcpDoc("m", `{ connection: calc, tool: add, arguments: { a: 1, b: 2 } }`, `{ connection: calc, tool: add, arguments: { a: one, b: 2 } }`))
	code, msg, details := r.apiError(t, http.StatusUnprocessableEntity)
	if code != "invalid_workflow" || !strings.Contains(msg, `step "s1" (mcp.call)`) || !strings.Contains(msg, "at /a: got string, want number") {
		t.Errorf("wrong type: %s %s", code, msg)
	}
	d := details.([]any)[0].(map[string]any)
	if d["line"] != float64(6) {
		t.Errorf("diagnostic at line %v, want 6 (the step s1)", d["line"])
	}
	_, msg, _ = put(mcpDoc("m", `{ connection: calc, tool: ad, arguments: {} }`)).apiError(t, http.StatusUnprocessableEntity)
	if !strings.Contains(msg, `lists no tool "ad" (did you mean add?)`) {
		t.Errorf("unknown tool: %s", msg)
	}
	var stored struct {
		Source string `json:"source"`
	}
	if err := json.Unmarshal(b.get(t, "/api/v1/workflows/m").body, &stored); err != nil || strings.Contains(stored.Source, "one") {
		t.Errorf("a refused document was stored: %q %v", stored.Source, err)
	}
}

// A workflow of many wrong mcp.call steps answers with a bounded list.
func TestSaveChecksManyMCPCallsBounded(t *testing.T) {
	t.Parallel()
	b := setupMCP(t)
	steps := make([]string, 2000)
	for i := range steps {
		steps[i] = `{ connection: calc, tool: add, arguments: { a: x, b: y } }`
	}
	r := b.do(t, req{method: "PUT", path: "/api/v1/workflows/many", body: mcpDoc("many", steps...), contentType: "application/yaml"})
	_, _, details := r.apiError(t, http.StatusUnprocessableEntity)
	if n := len(details.([]any)); n != maxMCPDiagnostics {
		t.Errorf("%d diagnostics, want the first %d", n, maxMCPDiagnostics)
	}
}

// fakeLister is an MCPTools whose server answers list (or fails).
type fakeLister struct {
	mu      sync.Mutex
	stored  map[string][]mcp.ToolInfo
	list    []mcp.ToolInfo
	fail    error
	refresh int
}

func (f *fakeLister) Refresh(_ context.Context, connection string) ([]mcp.ToolInfo, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.refresh++
	if f.fail != nil {
		return nil, f.fail
	}
	f.stored[connection] = f.list
	return f.list, nil
}

func (f *fakeLister) Stored(_ context.Context, connection string) ([]mcp.ToolInfo, time.Time, bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	l, ok := f.stored[connection]
	return l, time.Unix(1, 0).UTC(), ok, nil
}

func (f *fakeLister) CheckSaved(_ context.Context, calls []mcp.SavedCall) ([]error, error) {
	return make([]error, len(calls)), nil
}

func (f *fakeLister) refreshes() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.refresh
}

func TestMCPToolsEndpoint(t *testing.T) {
	t.Parallel()
	if r := setup(t).get(t, "/api/v1/connections/x/mcp/tools"); r.status != http.StatusNotFound {
		t.Errorf("without an MCP client: %d %s, want 404", r.status, r.body)
	}
	f := &fakeLister{stored: map[string][]mcp.ToolInfo{}, list: []mcp.ToolInfo{{Name: "echo"}}}
	b := setup(t, bundleOpts{extra: func(cfg *Config) {
		kr, err := credential.NewKeyring(credential.NewKey())
		if err != nil {
			t.Fatal(err)
		}
		v, err := credential.New(credential.Config{Store: cfg.Store, Keyring: kr})
		if err != nil {
			t.Fatal(err)
		}
		cfg.Credentials, cfg.MCP = v, f
	}})
	for name, body := range map[string]string{
		"ev":  `{"type":"mcp","data":{"url":"https://mcp.example.com/mcp"}}`,
		"web": `{"type":"bearer","data":{"token":"t"}}`,
	} {
		if r := b.do(t, req{method: "PUT", path: "/api/v1/credentials/" + name, contentType: "application/json", body: body}); r.status != http.StatusOK {
			t.Fatalf("put %s: %d %s", name, r.status, r.body)
		}
	}
	if code, _, _ := b.get(t, "/api/v1/connections/web/mcp/tools").apiError(t, http.StatusBadRequest); code != "bad_request" {
		t.Errorf("a bearer connection: code %s", code)
	}
	b.get(t, "/api/v1/connections/nope/mcp/tools").apiError(t, http.StatusNotFound)

	// Never listed: listed now. Stored: answered from the store. refresh=1: listed again.
	for i, tc := range []struct {
		path     string
		refreshs int
	}{
		{"/api/v1/connections/ev/mcp/tools", 1},
		{"/api/v1/connections/ev/mcp/tools", 1},
		{"/api/v1/connections/ev/mcp/tools?refresh=1", 2},
	} {
		r := b.get(t, tc.path)
		var got MCPToolList
		if err := json.Unmarshal(r.body, &got); err != nil || r.status != 200 || len(got.Tools) != 1 || got.Tools[0].Name != "echo" || got.ListedAt.IsZero() {
			t.Fatalf("%d %s: %d %s", i, tc.path, r.status, r.body)
		}
		if n := f.refreshes(); n != tc.refreshs {
			t.Errorf("%d %s: %d refreshes, want %d", i, tc.path, n, tc.refreshs)
		}
	}
	f.mu.Lock()
	f.fail = fmt.Errorf("connecting to MCP server %q: connection refused", "ev")
	f.mu.Unlock()
	if code, msg, _ := b.get(t, "/api/v1/connections/ev/mcp/tools?refresh=1").apiError(t, http.StatusBadGateway); code != "mcp_unreachable" || !strings.Contains(msg, "connection refused") {
		t.Errorf("an unreachable server: %s %s", code, msg)
	}

	// Replacing a connection drops its stored list (the server may be another one).
	ctx := context.Background()
	if err := b.store.PutMCPTools(ctx, store.MCPToolList{Connection: "ev", Tools: json.RawMessage(`[]`), ListedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	b.do(t, req{method: "PUT", path: "/api/v1/credentials/ev", contentType: "application/json", body: `{"type":"mcp","data":{"url":"https://other.example.com/mcp"}}`})
	if _, err := b.store.GetMCPTools(ctx, "ev"); !errors.Is(err, weft.ErrNotFound) {
		t.Errorf("the list of a replaced connection = %v, want dropped", err)
	}
}
