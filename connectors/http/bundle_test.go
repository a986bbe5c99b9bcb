package http_test

import (
	"context"
	"errors"
	"io"
	nethttp "net/http"
	"net/http/httptest"
	"sync"
	"testing"

	weftHTTP "github.com/weftworks/weft/connectors/http"
	"github.com/weftworks/weft/step"
	"github.com/weftworks/weft/step/steptest"
)

// seen is a request as the server received it.
type seen struct {
	Method string
	Path   string
	Query  map[string][]string
	Header nethttp.Header
	Body   string
}

// testBundle is a registry with http.request, a fake env whose HTTP client
// talks to srv, and what srv received.
type testBundle struct {
	reg *step.Registry
	env *steptest.Env
	srv *httptest.Server

	mu   sync.Mutex
	reqs []seen
}

// setup starts a server that records each request and then calls answer.
func setup(t *testing.T, answer nethttp.HandlerFunc) *testBundle {
	t.Helper()
	b := &testBundle{reg: step.NewRegistry(), env: steptest.NewEnv()}
	if err := weftHTTP.Register(b.reg); err != nil {
		t.Fatal(err)
	}
	b.srv = httptest.NewServer(nethttp.HandlerFunc(func(w nethttp.ResponseWriter, r *nethttp.Request) {
		body, _ := io.ReadAll(r.Body)
		b.mu.Lock()
		b.reqs = append(b.reqs, seen{Method: r.Method, Path: r.URL.Path, Query: r.URL.Query(), Header: r.Header.Clone(), Body: string(body)})
		b.mu.Unlock()
		if answer != nil {
			answer(w, r)
		}
	}))
	t.Cleanup(b.srv.Close)
	b.env.HTTP = b.srv.Client()
	return b
}

// run runs http.request with with; "url" defaults to the server's root.
func (b *testBundle) run(t *testing.T, with map[string]any) (step.Result, error) {
	t.Helper()
	if _, ok := with["url"]; !ok {
		with["url"] = b.srv.URL + "/"
	}
	return steptest.Run(t, b.reg, "http.request", steptest.NewRequestIn(b.env, with))
}

// last returns the only request the server got.
func (b *testBundle) last(t *testing.T) seen {
	t.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.reqs) != 1 {
		t.Fatalf("server got %d requests, want 1", len(b.reqs))
	}
	return b.reqs[0]
}

func (b *testBundle) count() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.reqs)
}

func codeOf(err error) string {
	var ce *step.CodedError
	if errors.As(err, &ce) {
		return ce.Code
	}
	return ""
}

func outputOf(t *testing.T, res step.Result, err error) map[string]any {
	t.Helper()
	if err != nil {
		t.Fatalf("run failed: %v", err)
	}
	out, ok := res.Output.(map[string]any)
	if !ok {
		t.Fatalf("output = %#v, want an object", res.Output)
	}
	return out
}

func TestSpec(t *testing.T) {
	t.Parallel()
	reg := step.NewRegistry()
	if err := weftHTTP.Register(reg); err != nil {
		t.Fatal(err)
	}
	steptest.CheckRegistry(t, reg)
	if err := weftHTTP.Register(reg); err == nil {
		t.Fatal("second Register succeeded, want a duplicate error")
	}
}

// background is for the few tests that call a handler without steptest.Run.
func background() context.Context { return context.Background() }
