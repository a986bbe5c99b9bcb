package mcp_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/weftworks/weft/connectors/mcp"
	"github.com/weftworks/weft/step"
)

// memTools is a ToolStore in memory.
type memTools struct {
	mu    sync.Mutex
	lists map[string][]mcp.ToolInfo
	loads int
}

func (m *memTools) SaveTools(_ context.Context, connection string, tools []mcp.ToolInfo, _ time.Time) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.lists[connection] = tools
	return nil
}

func (m *memTools) LoadTools(_ context.Context, connection string) ([]mcp.ToolInfo, time.Time, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.loads++
	l, ok := m.lists[connection]
	return l, time.Unix(0, 0), ok, nil
}

func TestCheckSavedUsesTheListOfTheLastCall(t *testing.T) {
	t.Parallel()
	srv := httpServer(t, 0, "tok")
	store := &memTools{lists: map[string][]mcp.ToolInfo{}}
	b := setup(t, mcp.Config{Store: store}, creds{"tools": {"url": srv.URL, "token": "tok"}})
	ctx := context.Background()

	// Never listed: everything is accepted (the check runs before the call).
	if errs, err := b.svc.CheckSaved(ctx, []mcp.SavedCall{{Connection: "tools", Tool: "nope", Arguments: map[string]any{"a": "x"}}}); err != nil || errs[0] != nil {
		t.Fatalf("unlisted server: %v %v, want nil", errs, err)
	}
	if _, err := b.call(t, map[string]any{"connection": "tools", "tool": "add", "arguments": map[string]any{"a": 1, "b": 2}}); err != nil {
		t.Fatal(err)
	}
	if len(store.lists["tools"]) == 0 {
		t.Fatal("a call that listed the tools did not store the list")
	}
	for _, tc := range []struct {
		name, tool string
		args       any
		want       []string // substrings of the error; nil: no error
	}{
		{"right", "add", map[string]any{"a": 1, "b": 2.5}, nil},
		{"wrong type", "add", map[string]any{"a": "one", "b": 2}, []string{`tool "add"`, "at /a:", "want number", "refresh=1"}},
		{"missing", "add", map[string]any{"a": 1}, []string{"at /: missing property 'b'"}},
		{"expression value", "add", map[string]any{"a": "{{ trigger.a }}", "b": 2}, nil},
		{"expression value and a literal mistake", "add", map[string]any{"a": "{{ trigger.a }}", "b": true}, []string{"at /b:"}},
		{"arguments expression", "add", "{{ trigger.body }}", nil},
		{"arguments not an object", "add", []any{1, 2}, []string{"must be an object"}},
		{"tool expression", "{{ trigger.tool }}", map[string]any{"a": "x"}, nil},
		{"unknown tool, close", "ecoh", nil, []string{`no tool "ecoh"`, "did you mean echo?"}},
		{"unknown tool, far", "zzzzzzzz", nil, []string{"it lists: ", "add", "echo"}},
	} {
		errs, err := b.svc.CheckSaved(ctx, []mcp.SavedCall{{Connection: "tools", Tool: tc.tool, Arguments: tc.args}})
		if err != nil {
			t.Fatal(err)
		}
		err = errs[0]
		if tc.want == nil {
			if err != nil {
				t.Errorf("%s: %v, want nil", tc.name, err)
			}
			continue
		}
		if err == nil {
			t.Errorf("%s: accepted, want an error with %q", tc.name, tc.want)
			continue
		}
		for _, w := range tc.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: %v; want it to say %q", tc.name, err, w)
			}
		}
	}
}

func TestRefreshListsAfreshAndStores(t *testing.T) {
	t.Parallel()
	srv := httpServer(t, 3, "tok")
	store := &memTools{lists: map[string][]mcp.ToolInfo{}}
	b := setup(t, mcp.Config{Store: store}, creds{"tools": {"url": srv.URL, "token": "tok"}})
	tools, err := b.svc.Refresh(context.Background(), step.CredentialsOnly(creds{"tools": {"url": srv.URL, "token": "tok"}}), nil, "tools")
	if err != nil {
		t.Fatal(err)
	}
	if len(tools) != 7 || len(store.lists["tools"]) != 7 {
		t.Fatalf("refresh gave %d tools and stored %d, want 7 and 7", len(tools), len(store.lists["tools"]))
	}
	got, _, found, err := b.svc.Stored(context.Background(), "tools")
	if err != nil || !found || got[0].Name == "" {
		t.Fatalf("Stored = %v %v %v", got, found, err)
	}
}

func TestRefreshPastTheToolLimitStoresNothing(t *testing.T) {
	t.Parallel()
	srv := httpServer(t, 40, "tok")
	store := &memTools{lists: map[string][]mcp.ToolInfo{}}
	b := setup(t, mcp.Config{Store: store, MaxTools: 10}, creds{"tools": {"url": srv.URL, "token": "tok"}})
	_, err := b.svc.Refresh(context.Background(), step.CredentialsOnly(creds{"tools": {"url": srv.URL, "token": "tok"}}), nil, "tools")
	if code(err) != "mcp_limit" {
		t.Fatalf("refresh of 44 tools with a limit of 10 = %v, want mcp_limit", err)
	}
	if _, ok := store.lists["tools"]; ok {
		t.Error("a refused list was stored")
	}
}

// A workflow of thousands of mcp.call steps reads each list once.
func TestCheckSavedManyStepsReadsEachListOnce(t *testing.T) {
	t.Parallel()
	store := &memTools{lists: map[string][]mcp.ToolInfo{
		"a": {{Name: "add", InputSchema: map[string]any{"type": "object", "properties": map[string]any{"a": map[string]any{"type": "number"}}}}},
	}}
	b := setup(t, mcp.Config{Store: store}, creds{})
	const n = 20000
	calls := make([]mcp.SavedCall, n)
	for i := range calls {
		calls[i] = mcp.SavedCall{Connection: "a", Tool: "add", Arguments: map[string]any{"a": i}}
	}
	calls[n-1].Arguments = map[string]any{"a": "x"}
	errs, err := b.svc.CheckSaved(context.Background(), calls)
	if err != nil {
		t.Fatal(err)
	}
	if store.loads != 1 {
		t.Errorf("the list was read %d times for %d steps, want once", store.loads, n)
	}
	if errs[0] != nil || errs[n-1] == nil {
		t.Errorf("first = %v, last = %v; want nil and a type error", errs[0], errs[n-1])
	}
}
