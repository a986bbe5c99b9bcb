package api

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/weftworks/weft/connectors/mcp"
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
