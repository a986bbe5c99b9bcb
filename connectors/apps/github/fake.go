package github

import (
	"fmt"
	"net/http"
	"strconv"
	"testing"

	"github.com/weftworks/weft/connectors/apps/apptest"
)

// Token is the token the fake accepts.
const Token = "github_pat_test"

// NewFake starts a local GitHub REST API: Link-header pagination (5 issues,
// per_page honoured), contents with slashes in the path, workflow dispatch
// answering 204, GitHub's error bodies and its rate-limit headers, and
// repository hooks kept in memory.
func NewFake(t testing.TB) *Fake {
	mux := http.NewServeMux()
	f := &Fake{}
	f.hookRoutes(mux)
	mux.HandleFunc("GET /user", func(w http.ResponseWriter, _ *http.Request) {
		apptest.WriteJSON(w, 200, map[string]any{"login": "weftbot", "id": 1})
	})
	mux.HandleFunc("POST /repos/{owner}/{repo}/issues", func(w http.ResponseWriter, r *http.Request) {
		b := apptest.ReadJSON(r)
		if b["title"] == nil {
			apptest.WriteJSON(w, 422, map[string]any{"message": "Validation Failed", "errors": []any{map[string]any{"resource": "Issue", "code": "missing_field", "field": "title"}}})
			return
		}
		apptest.WriteJSON(w, 201, map[string]any{"number": 42, "title": b["title"], "state": "open", "html_url": fmt.Sprintf("https://github.com/%s/%s/issues/42", r.PathValue("owner"), r.PathValue("repo"))})
	})
	mux.HandleFunc("GET /repos/{owner}/{repo}/issues", func(w http.ResponseWriter, r *http.Request) {
		per, _ := strconv.Atoi(r.URL.Query().Get("per_page"))
		page, _ := strconv.Atoi(r.URL.Query().Get("page"))
		page = max(page, 1)
		per = max(per, 1)
		items := []any{}
		for n := (page-1)*per + 1; n <= min(page*per, 5); n++ {
			items = append(items, map[string]any{"number": n})
		}
		if page*per < 5 {
			u := fmt.Sprintf("%s/repos/%s/%s/issues?per_page=%d&state=%s&page=%d", f.URL, r.PathValue("owner"), r.PathValue("repo"), per, r.URL.Query().Get("state"), page+1)
			w.Header().Set("Link", fmt.Sprintf(`<%s>; rel="next", <%s>; rel="last"`, u, u))
		}
		w.Header().Set("X-RateLimit-Remaining", "4999")
		apptest.WriteJSON(w, 200, items)
	})
	mux.HandleFunc("POST /repos/{owner}/{repo}/issues/{n}/comments", func(w http.ResponseWriter, r *http.Request) {
		b := apptest.ReadJSON(r)
		apptest.WriteJSON(w, 201, map[string]any{"id": 1, "body": b["body"]})
	})
	mux.HandleFunc("GET /repos/{owner}/{repo}/contents/{path...}", func(w http.ResponseWriter, r *http.Request) {
		if r.PathValue("path") != "docs/README.md" {
			apptest.WriteJSON(w, 404, map[string]any{"message": "Not Found", "documentation_url": "https://docs.github.com/rest/repos/contents#get-repository-content", "status": "404"})
			return
		}
		apptest.WriteJSON(w, 200, map[string]any{"type": "file", "path": r.PathValue("path"), "encoding": "base64", "content": "IyBXZWZ0Cg==", "sha": "3d21ec53a331a6f037a91c368710b99387d012c1"})
	})
	mux.HandleFunc("POST /repos/{owner}/{repo}/actions/workflows/{id}/dispatches", func(w http.ResponseWriter, r *http.Request) {
		if b := apptest.ReadJSON(r); b["ref"] == nil {
			apptest.WriteJSON(w, 422, map[string]any{"message": "Invalid request. \"ref\" wasn't supplied."})
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
	f.Fake = apptest.NewFake(t, "Bearer "+Token, mux)
	f.Unauthorized = func(w http.ResponseWriter, _ *http.Request) {
		apptest.WriteJSON(w, 401, map[string]any{"message": "Bad credentials", "documentation_url": "https://docs.github.com/rest", "status": "401"})
	}
	return f
}
