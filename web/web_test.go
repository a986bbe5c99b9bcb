package web

import (
	"io/fs"
	"net/http"
	"net/http/httptest"
	"regexp"
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

// TestSecurityHeaders: the console may not be framed, sniffed or leak its
// URL, and its policy allows only what the built bundle needs: no inline
// script in index.html, everything from this origin.
func TestSecurityHeaders(t *testing.T) {
	t.Parallel()
	for _, p := range []string{"/", "/workflows/x", "/assets/nope.js"} {
		rec := httptest.NewRecorder()
		Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, p, nil))
		h := rec.Header()
		if h.Get("Content-Security-Policy") != ContentSecurityPolicy || h.Get("X-Frame-Options") != "DENY" ||
			h.Get("X-Content-Type-Options") != "nosniff" || h.Get("Referrer-Policy") != "no-referrer" {
			t.Errorf("GET %s: headers %v", p, h)
		}
	}
	for _, want := range []string{"frame-ancestors 'none'", "script-src 'self';", "connect-src 'self'", "object-src 'none'"} {
		if !strings.Contains(ContentSecurityPolicy, want) {
			t.Errorf("policy lacks %q", want)
		}
	}
	index, err := fs.ReadFile(dist, "dist/index.html")
	if err != nil {
		t.Fatal(err)
	}
	// Every <script> must load a file: the policy has no 'unsafe-inline' for scripts.
	for _, tag := range strings.Split(string(index), "<script")[1:] {
		head, _, _ := strings.Cut(tag, ">")
		if !strings.Contains(head, `src="/`) {
			t.Errorf("index.html has an inline or foreign script: <script%s>", head)
		}
	}
	if m := regexp.MustCompile(`\son[a-z]+=`).FindString(string(index)); m != "" {
		t.Errorf("index.html has an inline event handler %q", m)
	}
}
