package web

import (
	"embed"
	"io/fs"
	"net/http"
	"path"
	"strings"
)

//go:embed all:dist
var dist embed.FS

// Handler serves the built console. Paths that name a file get the file;
// other paths without a file extension get index.html, so that deep links
// such as /workflows/ticket-triage load the app, which then routes itself.
// Hashed files under /assets/ are cached for a year; index.html is never
// cached, so a new binary's UI is picked up on the next load.
//
// Files are read into memory once, with a gzip copy of text files served to
// clients that accept it (Content-Encoding: gzip, Vary: Accept-Encoding),
// and an ETag, so a reload of index.html is a 304.
func Handler() http.Handler {
	root, err := fs.Sub(dist, "dist")
	if err != nil {
		panic(err) // the embed pattern guarantees the directory
	}
	files, err := loadAssets(root)
	if err != nil {
		panic(err) // an embedded file system does not fail to read
	}
	return handler{files: files}
}

// ContentSecurityPolicy is the console's policy. The built bundle has no
// inline script and loads everything from this origin; styles allow
// 'unsafe-inline' because React Flow positions nodes with inline styles; the
// favicon is a data: URI. frame-ancestors 'none' (with X-Frame-Options DENY)
// keeps the console out of other sites' frames (clickjacking).
const ContentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; " +
	"img-src 'self' data:; font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; " +
	"form-action 'self'; frame-ancestors 'none'"

// secure sets the console's security headers on every response.
func secure(h http.Header) {
	h.Set("Content-Security-Policy", ContentSecurityPolicy)
	h.Set("X-Frame-Options", "DENY")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
}

type handler struct {
	files map[string]*asset
}

var _ http.Handler = handler{}

func (h handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	secure(w.Header())
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	p := path.Clean("/" + r.URL.Path)
	// The API and webhooks are served elsewhere; a miss there is a 404, not the app.
	if p == "/api" || strings.HasPrefix(p, "/api/") || strings.HasPrefix(p, "/hooks/") {
		http.NotFound(w, r)
		return
	}
	name := strings.TrimPrefix(p, "/")
	if name != "" && name != "index.html" {
		if a := h.files[name]; a != nil {
			if strings.HasPrefix(name, "assets/") {
				w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
			} else {
				w.Header().Set("Cache-Control", "no-cache")
			}
			a.serve(w, r, name)
			return
		}
		// A missing asset is a real 404: answering it with HTML would hide the error.
		if strings.HasPrefix(name, "assets/") || path.Ext(name) != "" {
			http.NotFound(w, r)
			return
		}
	}
	h.serveIndex(w, r)
}

func (h handler) serveIndex(w http.ResponseWriter, r *http.Request) {
	a := h.files["index.html"]
	if a == nil {
		http.Error(w, "the UI bundle is missing: run `npm run build` in ui/", http.StatusNotFound)
		return
	}
	w.Header().Set("Cache-Control", "no-cache")
	a.serve(w, r, "index.html")
}
