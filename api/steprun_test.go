package api

import (
	"encoding/json"
	"strings"
	"testing"
)

const stepRunYAML = `name: steprun
steps:
  - id: fetch
    uses: transform
    with: { n: 1 }
  - id: double
    uses: transform
    with: { n: "{{ steps.fetch.output.n * 2 }}", who: "{{ trigger.body.name }}" }
  - id: pause
    uses: wait
    with: { for: 1h }
  - id: each
    uses: transform
    for_each: "{{ steps.fetch.output.list }}"
    with: { v: "{{ item + 1 }}" }
  - id: boom
    uses: fail
    with: { message: "no luck" }
`

func TestRunStep(t *testing.T) {
	t.Parallel()
	b := setup(t)
	if res := b.do(t, req{method: "PUT", path: "/api/v1/workflows/steprun", body: stepRunYAML, contentType: "application/yaml"}); res.status != 201 {
		t.Fatalf("PUT: %d %s", res.status, res.body)
	}
	run := func(step, body string) map[string]any {
		t.Helper()
		res := b.do(t, req{method: "POST", path: "/api/v1/workflows/steprun/steps/" + step + "/run", body: body})
		if res.status != 200 {
			t.Fatalf("run %s: %d %s", step, res.status, res.body)
		}
		return res.json(t)
	}

	// The upstream output and the trigger come from the request, not from a run.
	got := run("double", `{"trigger":{"body":{"name":"ada"}},"steps":{"fetch":{"n":21}}}`)
	out, _ := got["output"].(map[string]any)
	if out["n"] != float64(42) || out["who"] != "ada" || got["error"] != nil {
		t.Errorf("double = %v, want output {n: 42, who: ada}", got)
	}
	if in, _ := got["input"].(map[string]any); in["n"] != float64(42) {
		t.Errorf("input = %v, want the evaluated with block", got["input"])
	}

	// A failing step is a 200 with the step's error: the test ran.
	got = run("boom", `{}`)
	if e, _ := got["error"].(map[string]any); e == nil || !strings.Contains(e["message"].(string), "no luck") {
		t.Errorf("boom = %v, want its failure", got)
	}
	// A wait does not wait: it says so.
	got = run("pause", `{}`)
	if e, _ := got["error"].(map[string]any); e == nil || e["code"] != "would_wait" {
		t.Errorf("pause = %v, want would_wait", got)
	}
	// for_each runs its first item.
	got = run("each", `{"steps":{"fetch":{"list":[4,5]}}}`)
	if out, _ := got["output"].(map[string]any); out["v"] != float64(5) {
		t.Errorf("each = %v, want the first item's result", got)
	}
	// An expression error is the step's error.
	got = run("double", `{"steps":{"fetch":{"n":"x"}}}`)
	if e, _ := got["error"].(map[string]any); e == nil || e["code"] != "expression" {
		t.Errorf("double with bad data = %v, want an expression error", got)
	}

	// Nothing was stored as an execution.
	var list struct{ Items []json.RawMessage }
	if err := json.Unmarshal(b.get(t, "/api/v1/executions?workflow=steprun").body, &list); err != nil || len(list.Items) != 0 {
		t.Errorf("executions after test runs = %d (%v), want 0", len(list.Items), err)
	}

	b.do(t, req{method: "POST", path: "/api/v1/workflows/steprun/steps/nope/run", body: `{}`}).apiError(t, 404)
	b.do(t, req{method: "POST", path: "/api/v1/workflows/none/steps/x/run", body: `{}`}).apiError(t, 404)
	b.do(t, req{method: "POST", path: "/api/v1/workflows/steprun/steps/double/run", body: `{"steps": 1}`}).apiError(t, 400)
	b.do(t, req{method: "POST", path: "/api/v1/workflows/steprun/steps/double/run", body: `{}`, token: ptr("")}).apiError(t, 401)
}

func TestEvaluateExpression(t *testing.T) {
	t.Parallel()
	b := setup(t)
	eval := func(body string) response {
		return b.do(t, req{method: "POST", path: "/api/v1/expressions/evaluate", body: body})
	}
	res := eval(`{"expression":"{{ steps.a.output.n + 1 }}","scope":{"steps":{"a":{"output":{"n":1}}}}}`)
	if res.status != 200 || res.json(t)["value"] != float64(2) {
		t.Errorf("evaluate = %d %s, want value 2", res.status, res.body)
	}
	res = eval(`{"expression":"Hello {{ trigger.body.name }}","scope":{"trigger":{"body":{"name":"ada"}}}}`)
	if res.status != 200 || res.json(t)["value"] != "Hello ada" {
		t.Errorf("template = %s, want Hello ada", res.body)
	}
	// A syntax error carries its offset.
	_, msg, details := eval(`{"expression":"{{ 1 + }}"}`).apiError(t, 422)
	if d, _ := details.(map[string]any); d == nil || d["offset"] == nil || msg == "" {
		t.Errorf("syntax error details = %v (%s), want an offset", details, msg)
	}
	// The expression limits apply: a hostile expression fails, the server stays up.
	if _, msg, _ := eval(`{"expression":"{{ map(1..100000000, # * 2) }}"}`).apiError(t, 422); msg == "" {
		t.Error("a huge range evaluated")
	}
	long := `{"expression":"` + strings.Repeat("a", maxExpressionLen+1) + `"}`
	eval(long).apiError(t, 422)
	b.do(t, req{method: "POST", path: "/api/v1/expressions/evaluate", body: `{}`, token: ptr("")}).apiError(t, 401)
}
