package apptest

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

// Fake is a local server for one app: routes answer like the provider, and
// every request is recorded. Requests whose Authorization header is not
// Auth are answered by Unauthorized.
type Fake struct {
	*httptest.Server
	Auth         string
	Unauthorized http.HandlerFunc

	mu       sync.Mutex
	seen     []Seen
	throttle map[string]int // path → 429s still to send
}

// NewFake starts a fake serving mux; it stops with the test.
func NewFake(t testing.TB, auth string, mux *http.ServeMux) *Fake {
	f := &Fake{Auth: auth, throttle: map[string]int{}}
	f.Unauthorized = func(w http.ResponseWriter, _ *http.Request) {
		WriteJSON(w, http.StatusUnauthorized, map[string]any{"message": "invalid credentials"})
	}
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(strings.NewReader(string(body)))
		f.mu.Lock()
		f.seen = append(f.seen, Seen{Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery, Header: r.Header.Clone(), Body: body})
		n := f.throttle[r.URL.Path]
		if n > 0 {
			f.throttle[r.URL.Path] = n - 1
		}
		f.mu.Unlock()
		if n > 0 {
			w.Header().Set("Retry-After", "1")
			WriteJSON(w, http.StatusTooManyRequests, map[string]any{"ok": false, "error": "ratelimited", "message": "rate limited"})
			return
		}
		if f.Auth != "" && r.Header.Get("Authorization") != f.Auth {
			f.Unauthorized(w, r)
			return
		}
		mux.ServeHTTP(w, r)
	}))
	t.Cleanup(f.Close)
	return f
}

// Throttle answers the next n requests to path with 429 and Retry-After.
func (f *Fake) Throttle(path string, n int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.throttle[path] = n
}

// Seen returns the requests received so far.
func (f *Fake) Seen() []Seen {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]Seen(nil), f.seen...)
}

// Last returns the last request to path, or fails the test.
func (f *Fake) Last(t testing.TB, path string) Seen {
	t.Helper()
	seen := f.Seen()
	for i := len(seen) - 1; i >= 0; i-- {
		if seen[i].Path == path {
			return seen[i]
		}
	}
	t.Fatalf("the fake received no request to %s (got %d requests)", path, len(seen))
	return Seen{}
}

// JSON decodes a recorded body.
func (s Seen) JSON(t testing.TB) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(s.Body, &m); err != nil {
		t.Fatalf("%s %s: body is not a JSON object: %v: %s", s.Method, s.Path, err, s.Body)
	}
	return m
}

// WriteJSON answers status with v as JSON.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// ReadJSON decodes a request's JSON body (nil when it is not JSON).
func ReadJSON(r *http.Request) map[string]any {
	var m map[string]any
	_ = json.NewDecoder(r.Body).Decode(&m)
	return m
}
