package github_test

import (
	"strings"
	"testing"

	"github.com/weftworks/weft/connectors/apps/apptest"
	"github.com/weftworks/weft/connectors/apps/github"
)

func setup(t *testing.T) (*apptest.Fake, apptest.Connections) {
	f := github.NewFake(t)
	return f.Fake, apptest.Connections{
		"github": {Type: "bearer", Data: map[string]string{"token": github.Token}, BaseURL: f.URL},
		"wrong":  {Type: "bearer", Data: map[string]string{"token": "nope"}, BaseURL: f.URL},
	}
}

func TestCreateIssueHeaders(t *testing.T) {
	t.Parallel()
	f, c := setup(t)
	reg := apptest.Registry(t)
	r := apptest.Run(t, reg, c, "github.create_issue", map[string]any{"owner": "acme", "repo": "api", "title": "Broken", "labels": []any{"bug"}})
	if r.Err != nil {
		t.Fatal(r.Err)
	}
	s := f.Last(t, "/repos/acme/api/issues")
	if s.Header.Get("Accept") != "application/vnd.github+json" || s.Header.Get("X-GitHub-Api-Version") != "2022-11-28" || s.Header.Get("Authorization") != "Bearer "+github.Token {
		t.Errorf("headers = %v", s.Header)
	}
	if b := s.JSON(t); b["title"] != "Broken" || len(b["labels"].([]any)) != 1 {
		t.Errorf("body = %v", b)
	}
	r = apptest.Run(t, reg, c, "github.create_issue", map[string]any{"connection": "wrong", "owner": "acme", "repo": "api", "title": "x"})
	if r.Err == nil || !strings.Contains(r.Err.Error(), "Bad credentials") {
		t.Errorf("401: %v", r.Err)
	}
}

func TestListIssuesFollowsLinkHeader(t *testing.T) {
	t.Parallel()
	f, c := setup(t)
	r := apptest.Run(t, apptest.Registry(t), c, "github.list_issues", map[string]any{"owner": "acme", "repo": "api", "per_page": 2, "paginate": "all"})
	out, _ := r.Output.(map[string]any)
	if r.Err != nil || len(out["items"].([]any)) != 5 || out["pages"] != 3 {
		t.Fatalf("%v %v", out, r.Err)
	}
	if q := f.Seen()[2].Query; !strings.Contains(q, "page=3") {
		t.Errorf("third page query = %q", q)
	}
}

func TestContentsPathAndDispatch(t *testing.T) {
	t.Parallel()
	f, c := setup(t)
	reg := apptest.Registry(t)
	r := apptest.Run(t, reg, c, "github.get_content", map[string]any{"owner": "acme", "repo": "api", "path": "docs/README.md"})
	if out, _ := r.Output.(map[string]any); r.Err != nil || out["path"] != "docs/README.md" {
		t.Fatalf("%v %v", r.Output, r.Err)
	}
	r = apptest.Run(t, reg, c, "github.get_content", map[string]any{"owner": "acme", "repo": "api", "path": "../../etc/passwd"})
	if r.Err == nil || !strings.Contains(r.Err.Error(), ". or .. segments") {
		t.Errorf("dot segments: %v", r.Err)
	}
	r = apptest.Run(t, reg, c, "github.dispatch_workflow", map[string]any{"owner": "acme", "repo": "api", "workflow_id": "deploy.yml", "ref": "main", "inputs": map[string]any{"env": "prod"}})
	if r.Err != nil || r.Output != nil {
		t.Fatalf("dispatch: %v %v", r.Output, r.Err)
	}
	if b := f.Last(t, "/repos/acme/api/actions/workflows/deploy.yml/dispatches").JSON(t); b["ref"] != "main" {
		t.Errorf("body = %v", b)
	}
}
