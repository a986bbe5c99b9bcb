package workflow

import (
	"context"
	"encoding/json"
	"errors"
	"strings"

	"github.com/weftworks/weft"
	"os"
	"reflect"
	"testing"

	"github.com/weftworks/weft/expr"
)

func TestParseCompiled(t *testing.T) {
	t.Parallel()
	src, err := os.ReadFile("testdata/valid_complex.yaml")
	if err != nil {
		t.Fatal(err)
	}
	c, err := Parse("valid_complex.yaml", src, testRegistry(t))
	if err != nil {
		t.Fatal(err)
	}
	w := c.Workflow
	if w.On.Webhook.Path != "tickets" || w.On.Webhook.Method != "POST" || w.On.Webhook.Extra["verify"] == nil {
		t.Errorf("webhook = %+v", w.On.Webhook)
	}
	if len(w.On.Schedule) != 2 || w.On.Schedule[0].Timezone != "Europe/Copenhagen" {
		t.Errorf("schedule = %+v", w.On.Schedule)
	}
	needs := func(id string) []string {
		var out []string
		for _, n := range c.ByID[id].Needs {
			out = append(out, n.Step.ID)
		}
		return out
	}
	for id, want := range map[string][]string{
		"customer":    nil,
		"fields":      {"customer"},
		"escalate":    {"fields"},
		"notify_each": nil,
		"reply":       {"fields", "escalate"},
		"pause":       {"reply"},
	} {
		if got := needs(id); !reflect.DeepEqual(got, want) {
			t.Errorf("%s needs %v, want %v", id, got, want)
		}
	}
	if c.ByID["escalate"].If == nil || c.ByID["notify_each"].ForEach == nil || c.ByID["customer"].If != nil {
		t.Error("if/for_each not compiled as expected")
	}
	if c.ByID["customer"].Step.Pos.Line != 16 || c.ByID["customer"].Spec.Type != "http.request" {
		t.Errorf("customer pos %+v spec %q", c.ByID["customer"].Step.Pos, c.ByID["customer"].Spec.Type)
	}
	got, err := c.ByID["customer"].With.Eval(context.Background(), expr.Scope{
		"trigger": map[string]any{"body": map[string]any{"customer_id": 42}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if got.(map[string]any)["url"] != "https://crm.example.com/customers/42" {
		t.Errorf("with = %v", got)
	}
	if r := c.ByID["customer"].Step.Retry; r.MaxAttempts != 5 || r.Max.D().String() != "1m0s" {
		t.Errorf("retry = %+v", r)
	}
	if w.UI["positions"] == nil || !w.IsEnabled() || w.OnError != "notify-oncall" {
		t.Errorf("workflow = %+v", w)
	}
	// A step without with: still gets an empty compiled value.
	if v, err := c.ByID["customer"].With.Eval(context.Background(), nil); err != nil || v == nil {
		t.Errorf("with eval: %v %v", v, err)
	}
}

func TestJSONSchema(t *testing.T) {
	t.Parallel()
	reg := testRegistry(t)
	b, err := JSONSchema(reg)
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatalf("schema is not JSON: %v", err)
	}
	if doc["$schema"] != "https://json-schema.org/draft/2020-12/schema" {
		t.Errorf("$schema = %v", doc["$schema"])
	}
	steps := doc["properties"].(map[string]any)["steps"].(map[string]any)["items"].(map[string]any)
	enum := steps["properties"].(map[string]any)["uses"].(map[string]any)["enum"].([]any)
	branches := steps["allOf"].([]any)
	seen := map[string]bool{}
	for _, br := range branches {
		c := br.(map[string]any)["if"].(map[string]any)["properties"].(map[string]any)["uses"].(map[string]any)["const"].(string)
		seen[c] = true
	}
	for _, typ := range reg.Types() {
		if !seen[typ] {
			t.Errorf("schema has no with: branch for %s", typ)
		}
		found := false
		for _, e := range enum {
			found = found || e == typ
		}
		if !found {
			t.Errorf("uses enum lacks %s", typ)
		}
	}
	// The key lists in the schema are the ones Parse accepts.
	if got := len(steps["properties"].(map[string]any)); got != len(stepKeys) {
		t.Errorf("step properties: %d, want %d", got, len(stepKeys))
	}
}

func TestDidYouMean(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ in, want string }{
		{"need", "needs"}, {"htp.request", "http.request"}, {"foo", ""}, {"retyr", "retry"},
	} {
		if got := closest(tt.in, append(sortedCopy(stepKeys), "http.request")); got != tt.want {
			t.Errorf("closest(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestInputsAndMCP(t *testing.T) {
	t.Parallel()
	src := `name: lookup
mcp: { tool: true, description: Looks a customer up. }
inputs:
  type: object
  required: [email]
  properties:
    email: { type: string, format: email }
    limit: { type: integer, minimum: 1 }
steps:
  - id: a
    uses: transform
    with: { x: 1 }
`
	c, err := Parse("lookup.yaml", []byte(src), testRegistry(t))
	if err != nil {
		t.Fatal(err)
	}
	if c.Workflow.MCP == nil || !c.Workflow.MCP.Tool || c.Workflow.MCP.Description != "Looks a customer up." {
		t.Fatalf("mcp = %+v", c.Workflow.MCP)
	}
	if err := c.CheckInput([]byte(`{"email":"a@example.com","limit":2}`)); err != nil {
		t.Fatal(err)
	}
	err = c.CheckInput([]byte(`{"limit":0}`))
	if !errors.Is(err, weft.ErrInvalid) || !strings.Contains(err.Error(), "email") || !strings.Contains(err.Error(), "/limit") {
		t.Fatalf("bad input: %v", err)
	}

	bad := strings.Replace(src, "type: integer, minimum: 1", "type: integer, minimum: one", 1)
	_, err = Parse("lookup.yaml", []byte(bad), testRegistry(t))
	if err == nil || !strings.Contains(err.Error(), "lookup.yaml:4:3: inputs is not a valid JSON Schema: at /properties/limit/minimum") {
		t.Fatalf("bad schema: %v", err)
	}
	_, err = Parse("lookup.yaml", []byte(strings.Replace(src, "tool: true", "tool: yes please", 1)), testRegistry(t))
	if err == nil || !strings.Contains(err.Error(), "lookup.yaml:2:") {
		t.Fatalf("bad mcp block: %v", err)
	}
}

func TestMCPToolName(t *testing.T) {
	t.Parallel()
	src := "name: lookup-customer\nmcp: { tool: true, name: lookup_customer }\nsteps:\n  - id: a\n    uses: transform\n    with: { x: 1 }\n"
	c, err := Parse("lookup.yaml", []byte(src), testRegistry(t))
	if err != nil {
		t.Fatal(err)
	}
	if got := c.Workflow.ToolName(); got != "lookup_customer" {
		t.Fatalf("tool name = %q", got)
	}
	c, err = Parse("lookup.yaml", []byte(strings.Replace(src, ", name: lookup_customer", "", 1)), testRegistry(t))
	if err != nil || c.Workflow.ToolName() != "lookup-customer" {
		t.Fatalf("default tool name = %q (%v)", c.Workflow.ToolName(), err)
	}
	for _, bad := range []string{`"find customer"`, `""`, strings.Repeat("a", 129), `"ä"`} {
		_, err = Parse("lookup.yaml", []byte(strings.Replace(src, "lookup_customer", bad, 1)), testRegistry(t))
		if err == nil || !strings.Contains(err.Error(), "lookup.yaml:2:") || !strings.Contains(err.Error(), "MCP tool name") {
			t.Errorf("tool name %s: %v", bad, err)
		}
	}
}
