package api

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// routingRequests are requests around /hooks/: plain webhook paths, the
// resume route below it, paths the mux cleans or redirects, escaped bytes
// that matching decodes, CONNECT and "*".
func routingRequests() []*http.Request {
	var reqs []*http.Request
	for _, method := range []string{"POST", "GET", "HEAD", "PUT", "DELETE", "OPTIONS", "PATCH", "CONNECT"} {
		for _, target := range []string{
			"/hooks/bench", "/hooks/bench/", "/hooks/a/b/c", "/hooks/", "/hooks", "/hooks/x?y=1",
			"/hooks/resume", "/hooks/resume/", "/hooks/resume/tok", "/hooks/resume/tok/x", "/hooks/resumex",
			"/hooks//bench", "/hooks/./bench", "/hooks/../api/v1/workflows", "/hooks/a/..", "/hooks/a/.",
			"/hooks/%62ench", "/hooks/a%2Fb", "/%68ooks/bench", "/hooks/re%73ume/tok",
			"/healthz", "/api/v1/workflows", "/", "/index.html",
		} {
			r := httptest.NewRequest(method, target, strings.NewReader("{}"))
			reqs = append(reqs, r)
		}
	}
	star := httptest.NewRequest("OPTIONS", "/", nil)
	star.RequestURI, star.URL.Path = "*", "*"
	return append(reqs, star)
}

// TestHooksFirstAgreesWithMux: a request hooksFirst sends straight to the
// webhook handler is one the root mux serves with that handler (not a
// redirect, not the resume route), and plain webhook paths do take the
// shortcut.
func TestHooksFirstAgreesWithMux(t *testing.T) {
	t.Parallel()
	hooks := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, "hooks "+r.Pattern) })
	s := newServer(Config{Hooks: hooks}.WithDefaults())
	root, h := s.rootMux()
	hf := newHooksFirst(root, h, s.routes())
	if len(hf.except) == 0 {
		t.Fatal("no routes below /hooks/ found; the resume route is one")
	}
	direct := 0
	for _, r := range routingRequests() {
		if !hf.direct(r) {
			continue
		}
		direct++
		rec := httptest.NewRecorder()
		root.ServeHTTP(rec, r.Clone(r.Context()))
		if rec.Code != http.StatusOK || rec.Body.String() != "hooks /hooks/" {
			t.Errorf("%s %s goes straight to the webhook handler, but the mux answers %d %q", r.Method, r.RequestURI, rec.Code, rec.Body)
		}
		got := httptest.NewRecorder()
		hf.ServeHTTP(got, r.Clone(r.Context()))
		if got.Body.String() != rec.Body.String() {
			t.Errorf("%s %s: direct %q, mux %q", r.Method, r.RequestURI, got.Body, rec.Body)
		}
	}
	for _, target := range []string{"/hooks/bench", "/hooks/a/b/c", "/hooks/bench/", "/hooks/x?y=1"} {
		if !hf.direct(httptest.NewRequest("POST", target, nil)) {
			t.Errorf("POST %s: want the shortcut", target)
		}
	}
	if direct == 0 {
		t.Fatal("no request took the shortcut")
	}
}

// TestHooksFirstKeepsMuxAnswers: through the whole handler, every routing
// request gets the answer it gets without the shortcut (status, headers,
// body), including the mux's redirects, 404s and 405s and HEAD.
func TestHooksFirstKeepsMuxAnswers(t *testing.T) {
	t.Parallel()
	hooks := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Hook", "1")
		_, _ = io.WriteString(w, "hook "+r.Method+" "+r.URL.Path)
	})
	cfg := Config{Hooks: hooks}.WithDefaults()
	s := newServer(cfg)
	root, h := s.rootMux()
	with := s.logRequests(s.recoverPanics(s.secureHeaders(s.limitBodies(newHooksFirst(root, h, s.routes())))))
	s2 := newServer(cfg)
	root2, _ := s2.rootMux()
	without := s2.logRequests(s2.recoverPanics(s2.secureHeaders(s2.limitBodies(root2))))
	for _, r := range routingRequests() {
		if strings.HasPrefix(r.URL.Path, "/api/") {
			continue // needs a store; the shortcut never takes /api/
		}
		want := httptest.NewRecorder()
		without.ServeHTTP(want, r.Clone(r.Context()))
		got := httptest.NewRecorder()
		with.ServeHTTP(got, r.Clone(r.Context()))
		if got.Code != want.Code || got.Body.String() != want.Body.String() || !equalHeaders(got.Header(), want.Header()) {
			t.Errorf("%s %s: got %d %v %q, want %d %v %q", r.Method, r.RequestURI,
				got.Code, got.Header(), got.Body, want.Code, want.Header(), want.Body)
		}
	}
}

func equalHeaders(a, b http.Header) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if strings.Join(v, "\x00") != strings.Join(b[k], "\x00") {
			return false
		}
	}
	return true
}
