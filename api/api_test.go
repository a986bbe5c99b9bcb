package api

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/connectors/standard"
	"github.com/weftworks/weft/engine"
	"github.com/weftworks/weft/metrics"
	"github.com/weftworks/weft/step"
	"github.com/weftworks/weft/store/storesqlite"
	"github.com/weftworks/weft/workflow"
)

const testToken = "test-admin-token"

// testBundle is one API server on its own SQLite database.
type testBundle struct {
	srv    *httptest.Server
	store  *storesqlite.Store
	engine *engine.Engine
	logs   *lockedWriter
}

type bundleOpts struct {
	maxBody int64
	ready   func(context.Context) error
	extra   func(cfg *Config)
}

func setup(t *testing.T, opts ...bundleOpts) *testBundle {
	t.Helper()
	var o bundleOpts
	if len(opts) > 0 {
		o = opts[0]
	}
	ctx, cancel := context.WithCancel(context.Background())
	st, err := storesqlite.Open(ctx, filepath.Join(t.TempDir(), "weft.db"), storesqlite.Options{Synchronous: storesqlite.SyncNormal})
	if err != nil {
		t.Fatal(err)
	}
	reg := step.NewRegistry()
	if err := standard.Register(reg); err != nil {
		t.Fatal(err)
	}
	m := metrics.New()
	eng, err := engine.New(engine.Config{Store: st, Registry: reg, Metrics: m, PollInterval: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	runDone := make(chan struct{})
	go func() { defer close(runDone); _ = eng.Run(ctx) }()
	logs := &lockedWriter{w: &bytes.Buffer{}}
	cfg := Config{
		Engine:   eng,
		Store:    st,
		Registry: reg,
		Logger:   slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Metrics:  m,
		Tokens:   StaticToken(sha256.Sum256([]byte(testToken))),
		Hooks: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			_, _ = io.WriteString(w, "hook "+r.URL.Path)
		}),
		Ready:     o.ready,
		MaxBody:   o.maxBody,
		KeepAlive: 50 * time.Millisecond,
		Poll:      50 * time.Millisecond,
	}
	if o.extra != nil {
		o.extra(&cfg)
	}
	h, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(func() {
		srv.Close()
		cancel()
		<-runDone
		_ = st.Close()
	})
	return &testBundle{srv: srv, store: st, engine: eng, logs: logs}
}

// response is a finished HTTP exchange.
type response struct {
	status int
	header http.Header
	body   []byte
}

func (r response) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("response is not a JSON object: %v\n%s", err, r.body)
	}
	return m
}

// apiError checks the error shape and returns code and message.
func (r response) apiError(t *testing.T, status int) (code, message string, details any) {
	t.Helper()
	if r.status != status {
		t.Fatalf("status = %d, want %d; body: %s", r.status, status, r.body)
	}
	if ct := r.header.Get("Content-Type"); ct != "application/json" {
		t.Fatalf("error Content-Type = %q", ct)
	}
	var body struct {
		Error *struct {
			Code    string `json:"code"`
			Message string `json:"message"`
			Details any    `json:"details"`
		} `json:"error"`
	}
	if err := json.Unmarshal(r.body, &body); err != nil || body.Error == nil || body.Error.Code == "" || body.Error.Message == "" {
		t.Fatalf("not an error body {error:{code,message}}: %s", r.body)
	}
	return body.Error.Code, body.Error.Message, body.Error.Details
}

type req struct {
	method      string
	path        string
	body        string
	contentType string
	token       *string // nil: the test token
}

func (b *testBundle) do(t *testing.T, rq req) response {
	t.Helper()
	var body io.Reader
	if rq.body != "" {
		body = strings.NewReader(rq.body)
	}
	hr, err := http.NewRequest(rq.method, b.srv.URL+rq.path, body)
	if err != nil {
		t.Fatal(err)
	}
	tok := testToken
	if rq.token != nil {
		tok = *rq.token
	}
	if tok != "" {
		hr.Header.Set("Authorization", "Bearer "+tok)
	}
	if rq.contentType != "" {
		hr.Header.Set("Content-Type", rq.contentType)
	}
	res, err := b.srv.Client().Do(hr)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	out, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return response{status: res.StatusCode, header: res.Header, body: out}
}

func (b *testBundle) get(t *testing.T, path string) response {
	t.Helper()
	return b.do(t, req{method: "GET", path: path})
}

func ptr[T any](v T) *T { return &v }

// lockedWriter lets the server's goroutines log into one buffer.
type lockedWriter struct {
	mu sync.Mutex
	w  *bytes.Buffer
}

func (w *lockedWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.w.Write(p)
}

func (w *lockedWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.w.String()
}

func TestAuth(t *testing.T) {
	t.Parallel()
	b := setup(t)
	for _, tc := range []struct {
		name  string
		rq    req
		want  int
		inMsg string
	}{
		{"no token", req{method: "GET", path: "/api/v1/workflows", token: ptr("")}, 401, "Authorization: Bearer"},
		{"wrong token", req{method: "GET", path: "/api/v1/workflows", token: ptr("nope")}, 401, "admin.token"},
		{"unknown path needs a token too", req{method: "GET", path: "/api/v1/nothing", token: ptr("")}, 401, "WEFT_ADMIN_TOKEN"},
		{"query token only for events", req{method: "GET", path: "/api/v1/workflows?access_token=" + testToken, token: ptr("")}, 401, "missing"},
		{"query token not on a workflow named events", req{method: "GET", path: "/api/v1/workflows/events?access_token=" + testToken, token: ptr("")}, 401, "missing"},
		{"query token not on a path merely ending in /events", req{method: "GET", path: "/api/v1/executions/E1/x/events?access_token=" + testToken, token: ptr("")}, 401, "missing"},
		{"query token not on other methods", req{method: "POST", path: "/api/v1/executions/E1/events?access_token=" + testToken, token: ptr("")}, 401, "missing"},
		{"query token on the event stream", req{method: "GET", path: "/api/v1/executions/nope/events?access_token=" + testToken, token: ptr("")}, 404, ""},
		{"good token", req{method: "GET", path: "/api/v1/workflows"}, 200, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := b.do(t, tc.rq)
			if tc.want == 404 { // authenticated, then not found
				res.apiError(t, 404)
				return
			}
			if tc.want == 200 {
				if res.status != 200 {
					t.Fatalf("status %d: %s", res.status, res.body)
				}
				return
			}
			code, msg, _ := res.apiError(t, tc.want)
			if code != "unauthorized" || !strings.Contains(msg, tc.inMsg) {
				t.Errorf("code %q message %q, want unauthorized mentioning %q", code, msg, tc.inMsg)
			}
			if res.header.Get("WWW-Authenticate") == "" {
				t.Error("no WWW-Authenticate header")
			}
		})
	}
}

func TestStaticToken(t *testing.T) {
	t.Parallel()
	v := StaticToken(sha256.Sum256([]byte("a")), sha256.Sum256([]byte("b")))
	ctx := context.Background()
	for tok, want := range map[string]bool{"a": true, "b": true, "c": false, "": false} {
		if got := v.Verify(ctx, tok); got != want {
			t.Errorf("Verify(%q) = %v", tok, got)
		}
	}
	if StaticToken().Verify(ctx, "a") {
		t.Error("no hashes must accept nothing")
	}
}

func TestOperationalEndpoints(t *testing.T) {
	t.Parallel()
	ready := func(context.Context) error { return nil }
	b := setup(t, bundleOpts{ready: func(ctx context.Context) error { return ready(ctx) }})
	for _, tc := range []struct{ path, want string }{
		{"/healthz", "ok"},
		{"/readyz", "ok"},
		{"/metrics", "weft_executions_in_process"},
		{"/hooks/some/path", "hook /hooks/some/path"},
		{"/", "Weft is running"},
	} {
		res := b.do(t, req{method: "GET", path: tc.path, token: ptr("")})
		if res.status != 200 || !strings.Contains(string(res.body), tc.want) {
			t.Errorf("GET %s = %d %q, want 200 containing %q", tc.path, res.status, res.body, tc.want)
		}
	}
	if res := b.do(t, req{method: "GET", path: "/nothing", token: ptr("")}); res.status != 404 {
		t.Errorf("GET /nothing = %d", res.status)
	}
	res := b.do(t, req{method: "GET", path: "/api/v1/openapi.json", token: ptr("")})
	if res.status != 200 || !json.Valid(res.body) {
		t.Errorf("openapi.json: %d", res.status)
	}

	notReady := setup(t, bundleOpts{ready: func(context.Context) error { return io.ErrUnexpectedEOF }})
	res = notReady.do(t, req{method: "GET", path: "/readyz", token: ptr("")})
	if res.status != 503 || strings.Contains(string(res.body), "unexpected EOF") {
		t.Errorf("readyz when not ready = %d %q; want 503 without the internal error", res.status, res.body)
	}
}

func TestUIMount(t *testing.T) {
	t.Parallel()
	b := setup(t, bundleOpts{extra: func(c *Config) {
		c.UI = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, "ui "+r.URL.Path) })
	}})
	if res := b.do(t, req{method: "GET", path: "/workflows/x", token: ptr("")}); string(res.body) != "ui /workflows/x" {
		t.Errorf("UI got %q", res.body)
	}
}

func TestRoutingErrorsAreJSON(t *testing.T) {
	t.Parallel()
	b := setup(t)
	code, msg, _ := b.get(t, "/api/v1/nothing").apiError(t, 404)
	if code != "not_found" || !strings.Contains(msg, "openapi.json") {
		t.Errorf("unknown route: %s %s", code, msg)
	}
	res := b.do(t, req{method: "PATCH", path: "/api/v1/workflows/x"})
	code, msg, _ = res.apiError(t, 405)
	if code != "method_not_allowed" || !strings.Contains(msg, "PUT") || !strings.Contains(res.header.Get("Allow"), "DELETE") {
		t.Errorf("405: %s %s allow=%q", code, msg, res.header.Get("Allow"))
	}
}

func TestBodyLimit(t *testing.T) {
	t.Parallel()
	b := setup(t, bundleOpts{maxBody: 1024})
	big := `{"x":"` + strings.Repeat("a", 2000) + `"}`
	for _, rq := range []req{
		{method: "PUT", path: "/api/v1/workflows/big", body: big, contentType: "application/json"},
		{method: "POST", path: "/api/v1/workflows/big/executions", body: big},
	} {
		code, msg, _ := b.do(t, rq).apiError(t, 413)
		if code != "body_too_large" || !strings.Contains(msg, "1 KiB") {
			t.Errorf("%s %s: %s %s", rq.method, rq.path, code, msg)
		}
	}
	// Chunked bodies have no Content-Length: the limit applies while reading.
	hr, _ := http.NewRequest("POST", b.srv.URL+"/api/v1/workflows/big/executions", io.MultiReader(strings.NewReader(big)))
	hr.Header.Set("Authorization", "Bearer "+testToken)
	hr.ContentLength = -1
	res, err := b.srv.Client().Do(hr)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 413 {
		t.Errorf("chunked oversize body: %d", res.StatusCode)
	}
}

func TestPanicRecoveryAndLogging(t *testing.T) {
	t.Parallel()
	b := setup(t, bundleOpts{extra: func(c *Config) {
		c.Hooks = http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic("boom") })
	}})
	code, msg, _ := b.do(t, req{method: "POST", path: "/hooks/x", body: "secret-body"}).apiError(t, 500)
	if code != "internal" || strings.Contains(msg, "boom") {
		t.Errorf("panic answer leaks or has the wrong code: %s %s", code, msg)
	}
	b.do(t, req{method: "GET", path: "/api/v1/executions/E1/events?access_token=" + testToken, token: ptr("")})
	logs := b.logText()
	for _, want := range []string{"panic in handler", "method=POST", "path=/hooks/x", "status=500", "duration="} {
		if !strings.Contains(logs, want) {
			t.Errorf("log lacks %q:\n%s", want, logs)
		}
	}
	for _, secret := range []string{"secret-body", testToken} {
		if strings.Contains(logs, secret) {
			t.Errorf("log contains %q:\n%s", secret, logs)
		}
	}
}

// logText returns the log. The request log line is written before the
// server sends the (buffered) response, so it is there once the client has
// the answer.
func (b *testBundle) logText() string { return b.logs.String() }

func TestErrorMapping(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		err    error
		status int
		code   string
	}{
		{fmt.Errorf("execution %q: %w", "x", weft.ErrNotFound), 404, "not_found"},
		{fmt.Errorf("retrying: %w", weft.ErrConflict), 409, "conflict"},
		{fmt.Errorf("input: %w", weft.ErrInvalid), 422, "invalid"},
		{fmt.Errorf("queue: %w", weft.ErrOverloaded), 503, "overloaded"},
		{workflow.Diagnostics{{File: "a.yaml", Line: 3, Column: 5, Message: "bad"}}, 422, "invalid_workflow"},
		{io.ErrUnexpectedEOF, 500, "internal"},
		{&http.MaxBytesError{Limit: 4 << 20}, 413, "body_too_large"},
	} {
		rec := httptest.NewRecorder()
		writeError(rec, httptest.NewRequest("GET", "/", nil), slog.New(slog.DiscardHandler), tc.err)
		var body errorBody
		if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
			t.Fatal(err)
		}
		if rec.Code != tc.status || body.Error.Code != tc.code {
			t.Errorf("%v → %d %s, want %d %s", tc.err, rec.Code, body.Error.Code, tc.status, tc.code)
		}
		if tc.status == 503 && rec.Header().Get("Retry-After") == "" {
			t.Errorf("%v: no Retry-After", tc.err)
		}
		if tc.status == 500 && strings.Contains(body.Error.Message, "EOF") {
			t.Errorf("500 leaks the internal error: %s", body.Error.Message)
		}
	}
}

// TestSecurityHeaders: API answers and pages may not be framed or sniffed;
// webhooks keep only nosniff (their respond step owns the response).
func TestSecurityHeaders(t *testing.T) {
	t.Parallel()
	b := setup(t)
	for _, p := range []string{"/api/v1/workflows", "/", "/healthz", "/api/v1/nothing"} {
		h := b.get(t, p).header
		if h.Get("X-Frame-Options") != "DENY" || !strings.Contains(h.Get("Content-Security-Policy"), "frame-ancestors 'none'") ||
			h.Get("X-Content-Type-Options") != "nosniff" || h.Get("Referrer-Policy") != "no-referrer" {
			t.Errorf("GET %s: headers %v", p, h)
		}
	}
	h := b.do(t, req{method: "POST", path: "/hooks/x", token: ptr("")}).header
	if h.Get("X-Content-Type-Options") != "nosniff" || h.Get("Content-Security-Policy") != "" {
		t.Errorf("POST /hooks/x: headers %v", h)
	}
}
