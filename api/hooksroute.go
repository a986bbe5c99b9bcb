package api

import (
	"net/http"
	"strings"

	"github.com/weftworks/weft/internal/muxpath"
)

// hooksFirst sends webhook requests (/hooks/<path>) straight to the
// handler the root mux routes them to, and everything else through the
// mux. A webhook is the one request that comes by the thousand, and
// finding it in the mux's tree costs two walks (the second for the
// trailing-slash redirect, as "/hooks/" matches it inexactly) and ~4
// allocations. Only plain paths (muxpath.Plain) that no other route
// could match take the shortcut, so the handler, redirects, 404s and 405s
// are the mux's own.
type hooksFirst struct {
	root  *http.ServeMux
	hooks http.Handler
	// except are the prefixes of the other routes below /hooks/
	// (/hooks/resume/{token}): their paths go through the mux.
	except []string
}

func newHooksFirst(root *http.ServeMux, hooks http.Handler, routes []route) *hooksFirst {
	h := &hooksFirst{root: root, hooks: hooks}
	for _, rt := range routes {
		if strings.HasPrefix(rt.Path, hooksPrefix) {
			p, _, _ := strings.Cut(rt.Path, "{")
			h.except = append(h.except, strings.TrimSuffix(p, "/"))
		}
	}
	return h
}

const hooksPrefix = "/hooks/"

// direct reports whether the mux would route r to the hooks handler
// without redirecting it, so it can be sent there directly.
func (h *hooksFirst) direct(r *http.Request) bool {
	p, ok := muxpath.Plain(r)
	if !ok || !strings.HasPrefix(p, hooksPrefix) {
		return false
	}
	for _, e := range h.except {
		if strings.HasPrefix(p, e) {
			return false
		}
	}
	return true
}

func (h *hooksFirst) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if h.direct(r) {
		r.Pattern = hooksPrefix // as the mux sets it
		h.hooks.ServeHTTP(w, r)
		return
	}
	h.root.ServeHTTP(w, r)
}
