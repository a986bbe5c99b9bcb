package api

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

const helloYAML = `# greeting workflow
name: hello
description: says hello
on:
  webhook: { path: hello }
steps:
  - id: greet
    uses: transform
    with:
      message: "hello {{ trigger.name }}"
`

func TestPutWorkflow(t *testing.T) {
	t.Parallel()
	b := setup(t)

	res := b.do(t, req{method: "PUT", path: "/api/v1/workflows/hello", body: helloYAML, contentType: "application/yaml"})
	if res.status != 201 {
		t.Fatalf("create: %d %s", res.status, res.body)
	}
	if res.header.Get("Location") != "/api/v1/workflows/hello" {
		t.Errorf("Location = %q", res.header.Get("Location"))
	}
	m := res.json(t)
	if m["version"].(float64) != 1 || m["changed"] != true || m["webhook_path"] != "hello" || m["enabled"] != true || m["description"] != "says hello" {
		t.Errorf("created record: %s", res.body)
	}

	// Same bytes again: unchanged, no new version.
	res = b.do(t, req{method: "PUT", path: "/api/v1/workflows/hello", body: helloYAML, contentType: "application/yaml"})
	if m := res.json(t); res.status != 200 || m["changed"] != false || m["version"].(float64) != 1 {
		t.Errorf("unchanged PUT: %d %s", res.status, res.body)
	}

	// A change: a new version.
	changed := strings.Replace(helloYAML, "says hello", "greets", 1)
	res = b.do(t, req{method: "PUT", path: "/api/v1/workflows/hello", body: changed, contentType: "application/yaml"})
	if m := res.json(t); res.status != 200 || m["changed"] != true || m["version"].(float64) != 2 {
		t.Errorf("update: %d %s", res.status, res.body)
	}

	// GET returns the source byte-exact and the parsed document.
	res = b.get(t, "/api/v1/workflows/hello")
	m = res.json(t)
	if m["source"] != changed {
		t.Errorf("source not byte-exact:\n%q\nwant\n%q", m["source"], changed)
	}
	wf, _ := m["workflow"].(map[string]any)
	if wf == nil || wf["name"] != "hello" || len(wf["steps"].([]any)) != 1 {
		t.Errorf("parsed workflow: %s", res.body)
	}
}

func TestPutWorkflowJSON(t *testing.T) {
	t.Parallel()
	b := setup(t)
	doc := `{"name": "j", "steps": [{"id": "a", "uses": "transform", "with": {"x": 1}}]}`
	res := b.do(t, req{method: "PUT", path: "/api/v1/workflows/j", body: doc, contentType: "application/json"})
	if res.status != 201 {
		t.Fatalf("%d %s", res.status, res.body)
	}
	if m := b.get(t, "/api/v1/workflows/j").json(t); m["source"] != doc {
		t.Errorf("source = %q", m["source"])
	}
}

func TestPutWorkflowInvalid(t *testing.T) {
	t.Parallel()
	b := setup(t)
	for _, tc := range []struct {
		name, path, body string
		line, col        int
		inMsg            string
	}{
		{"unknown step type", "/api/v1/workflows/bad", "name: bad\nsteps:\n  - id: a\n    uses: nope\n", 4, 11, "nope"},
		{"name mismatch", "/api/v1/workflows/other", "name: bad\nsteps:\n  - id: a\n    uses: transform\n", 1, 7, "does not match"},
		{"yaml syntax", "/api/v1/workflows/bad", "name: bad\nsteps: [\n", 0, 0, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, msg, details := b.do(t, req{method: "PUT", path: tc.path, body: tc.body, contentType: "application/yaml"}).apiError(t, 422)
			if code != "invalid_workflow" {
				t.Errorf("code %q", code)
			}
			diags, _ := details.([]any)
			if len(diags) == 0 {
				t.Fatalf("no diagnostics in details: %s", msg)
			}
			d := diags[0].(map[string]any)
			if d["file"] == "" || d["message"] == "" || d["line"].(float64) < 1 || d["column"].(float64) < 1 {
				t.Errorf("diagnostic lacks file/line/column/message: %v", d)
			}
			if tc.line > 0 && (int(d["line"].(float64)) != tc.line || int(d["column"].(float64)) != tc.col) {
				t.Errorf("at %v:%v, want %d:%d (%v)", d["line"], d["column"], tc.line, tc.col, d["message"])
			}
			if !strings.Contains(fmt.Sprint(d["message"]), tc.inMsg) {
				t.Errorf("message %q lacks %q", d["message"], tc.inMsg)
			}
		})
	}
	if res := b.get(t, "/api/v1/workflows/bad"); res.status != 404 {
		t.Errorf("an invalid document was stored: %d", res.status)
	}
	code, _, _ := b.do(t, req{method: "PUT", path: "/api/v1/workflows/Bad_Name", body: "name: x\n"}).apiError(t, 422)
	if code != "invalid" {
		t.Errorf("bad URL name: %s", code)
	}
}

func TestWebhookPathConflict(t *testing.T) {
	t.Parallel()
	b := setup(t)
	if res := b.do(t, req{method: "PUT", path: "/api/v1/workflows/hello", body: helloYAML}); res.status != 201 {
		t.Fatalf("%d %s", res.status, res.body)
	}
	other := strings.Replace(helloYAML, "name: hello", "name: other", 1)
	_, msg, _ := b.do(t, req{method: "PUT", path: "/api/v1/workflows/other", body: other}).apiError(t, 409)
	if !strings.Contains(msg, `"hello"`) {
		t.Errorf("message should name the workflow holding the path: %s", msg)
	}
}

func TestCreateWorkflowPOST(t *testing.T) {
	t.Parallel()
	b := setup(t)
	res := b.do(t, req{method: "POST", path: "/api/v1/workflows", body: helloYAML, contentType: "application/yaml"})
	if res.status != 201 || res.json(t)["name"] != "hello" {
		t.Fatalf("%d %s", res.status, res.body)
	}
	_, msg, _ := b.do(t, req{method: "POST", path: "/api/v1/workflows", body: helloYAML}).apiError(t, 409)
	if !strings.Contains(msg, "PUT") {
		t.Errorf("409 should say how to replace: %s", msg)
	}
	_, _, details := b.do(t, req{method: "POST", path: "/api/v1/workflows", body: "steps: []\n"}).apiError(t, 422)
	if details == nil {
		t.Error("no diagnostics for a document without name")
	}
}

func TestDeleteWorkflow(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.do(t, req{method: "PUT", path: "/api/v1/workflows/hello", body: helloYAML})
	if res := b.do(t, req{method: "DELETE", path: "/api/v1/workflows/hello"}); res.status != 204 {
		t.Fatalf("delete: %d %s", res.status, res.body)
	}
	b.get(t, "/api/v1/workflows/hello").apiError(t, 404)
	b.do(t, req{method: "DELETE", path: "/api/v1/workflows/hello"}).apiError(t, 404)
	// The engine forgot it too.
	b.do(t, req{method: "POST", path: "/api/v1/workflows/hello/executions"}).apiError(t, 404)
}

func TestListWorkflowsPagination(t *testing.T) {
	t.Parallel()
	b := setup(t)
	for i := range 5 {
		name := fmt.Sprintf("wf-%d", i)
		doc := fmt.Sprintf("name: %s\nsteps:\n  - id: a\n    uses: transform\n", name)
		if res := b.do(t, req{method: "PUT", path: "/api/v1/workflows/" + name, body: doc}); res.status != 201 {
			t.Fatalf("%d %s", res.status, res.body)
		}
	}
	var names []string
	cursor := ""
	for pages := 0; ; pages++ {
		if pages > 5 {
			t.Fatal("pagination does not end")
		}
		var l struct {
			Items []struct {
				Name string `json:"name"`
			} `json:"items"`
			NextCursor string `json:"next_cursor"`
		}
		res := b.get(t, "/api/v1/workflows?limit=2&cursor="+cursor)
		if err := json.Unmarshal(res.body, &l); err != nil || res.status != 200 {
			t.Fatalf("%d %s", res.status, res.body)
		}
		if len(l.Items) > 2 {
			t.Fatalf("page of %d items with limit=2", len(l.Items))
		}
		for _, it := range l.Items {
			names = append(names, it.Name)
		}
		if l.NextCursor == "" {
			break
		}
		cursor = l.NextCursor
	}
	if strings.Join(names, ",") != "wf-0,wf-1,wf-2,wf-3,wf-4" {
		t.Errorf("pages gave %v", names)
	}
	for _, q := range []string{"limit=0", "limit=x", "limit=501"} {
		_, msg, _ := b.get(t, "/api/v1/workflows?"+q).apiError(t, 422)
		if !strings.Contains(msg, "limit") {
			t.Errorf("%s: %s", q, msg)
		}
	}
	b.get(t, "/api/v1/workflows?cursor=!!!").apiError(t, 422)
	if res := b.get(t, "/api/v1/workflows"); !strings.Contains(string(res.body), `"items":[`) {
		t.Errorf("list shape: %s", res.body)
	}
}

func TestEnableDisable(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.do(t, req{method: "PUT", path: "/api/v1/workflows/hello", body: helloYAML})

	res := b.do(t, req{method: "POST", path: "/api/v1/workflows/hello/disable"})
	m := res.json(t)
	if res.status != 200 || m["enabled"] != false || m["version"].(float64) != 2 {
		t.Fatalf("disable: %d %s", res.status, res.body)
	}
	want := strings.Replace(helloYAML, "name: hello\n", "name: hello\nenabled: false\n", 1)
	if m["source"] != want {
		t.Errorf("disabled source:\n%s\nwant\n%s", m["source"], want)
	}
	// Disabling again changes nothing.
	if m := b.do(t, req{method: "POST", path: "/api/v1/workflows/hello/disable"}).json(t); m["changed"] != false {
		t.Errorf("second disable made a version: %v", m["version"])
	}
	res = b.do(t, req{method: "POST", path: "/api/v1/workflows/hello/enable"})
	m = res.json(t)
	if res.status != 200 || m["enabled"] != true || m["source"] != strings.Replace(want, "enabled: false", "enabled: true", 1) {
		t.Errorf("enable: %d %s", res.status, res.body)
	}
	b.do(t, req{method: "POST", path: "/api/v1/workflows/nope/enable"}).apiError(t, 404)
}
