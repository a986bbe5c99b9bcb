package web

import (
	"io/fs"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestHandler(t *testing.T) {
	t.Parallel()
	assets, err := fs.Glob(dist, "dist/assets/*.js")
	if err != nil || len(assets) == 0 {
		t.Fatalf("no built assets in web/dist (run npm run build in ui/): %v", err)
	}
	asset := strings.TrimPrefix(assets[0], "dist")

	tests := []struct {
		name, method, path string
		status             int
		cache, body        string
	}{
		{"root is the app", "GET", "/", 200, "no-cache", `<div id="root">`},
		{"deep link falls back to the app", "GET", "/workflows/ticket-triage", 200, "no-cache", `<div id="root">`},
		{"index.html itself", "GET", "/index.html", 200, "no-cache", `<div id="root">`},
		{"hashed asset is cached for long", "GET", asset, 200, "public, max-age=31536000, immutable", ""},
		{"missing asset is a 404", "GET", "/assets/nope-123.js", 404, "", ""},
		{"missing file with an extension is a 404", "GET", "/favicon.ico", 404, "", ""},
		{"api paths are not the app", "GET", "/api/v1/nothing", 404, "", ""},
		{"hooks are not the app", "GET", "/hooks/x", 404, "", ""},
		{"only reads", "POST", "/", 405, "", ""},
	}
	h := Handler()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest(tt.method, tt.path, nil))
			if rec.Code != tt.status {
				t.Fatalf("%s %s: status %d, want %d", tt.method, tt.path, rec.Code, tt.status)
			}
			if got := rec.Header().Get("Cache-Control"); tt.cache != "" && got != tt.cache {
				t.Errorf("Cache-Control %q, want %q", got, tt.cache)
			}
			if tt.body != "" && !strings.Contains(rec.Body.String(), tt.body) {
				t.Errorf("body does not contain %q", tt.body)
			}
		})
	}
}

func TestIndexIsHTML(t *testing.T) {
	t.Parallel()
	rec := httptest.NewRecorder()
	Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/executions", nil))
	if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
		t.Fatalf("Content-Type %q", ct)
	}
}
