package outside_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/credential"
	"github.com/weftworks/weft/engine"
	"github.com/weftworks/weft/internal/cli"
	"github.com/weftworks/weft/step"
	"github.com/weftworks/weft/store"
	"github.com/weftworks/weft/workflow"
)

type bundle struct {
	eng    *engine.Engine
	st     store.Store
	reg    *step.Registry
	vault  *credential.Vault
	api    http.Handler
	token  string
	dbPath string
	logs   *syncBuffer
	logger *slog.Logger
	close  func()
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

// setup builds the application with the production wiring (cli.Wire, as
// weft serve does) on a fresh data directory, with loopback allowed (the
// fakes listen there).
func setup(t *testing.T) *bundle {
	t.Helper()
	const token = "admin-token-for-tests"
	data := t.TempDir()
	logs := &syncBuffer{}
	vars := map[string]string{"WEFT_ADMIN_TOKEN": token}
	env := &cli.Env{Stdout: io.Discard, Stderr: logs, Stdin: strings.NewReader(""), Getenv: func(k string) string { return vars[k] }}
	a, err := cli.Wire(context.Background(), cli.AppConfig{Env: env, Data: data, LogLevel: "debug", LogFormat: "json",
		AllowPrivateNet: "127.0.0.0/8", PollInterval: 50 * time.Millisecond, Lease: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	stop := a.Start(context.Background())
	var once sync.Once
	b := &bundle{eng: a.Engine, st: a.Store, reg: a.Registry, vault: a.Vault, api: a.Handler, token: token,
		dbPath: filepath.Join(data, "weft.db"), logs: logs, logger: a.Logger}
	b.close = func() { once.Do(func() { stop(); _ = a.Close() }) }
	t.Cleanup(b.close)
	return b
}

func (b *bundle) put(t *testing.T, src string) {
	t.Helper()
	c, err := workflow.Parse("test.yaml", []byte(src), b.reg)
	if err != nil {
		t.Fatalf("workflow:\n%v", err)
	}
	if _, _, err := b.st.PutWorkflow(context.Background(), weft.WorkflowRecord{Name: c.Workflow.Name, Source: src, Enabled: true}); err != nil {
		t.Fatal(err)
	}
	b.eng.InvalidateWorkflow(c.Workflow.Name)
}

func (b *bundle) start(t *testing.T, name string) string {
	t.Helper()
	st, err := b.eng.Start(context.Background(), engine.StartRequest{Workflow: name, Input: json.RawMessage(`{}`)})
	if err != nil {
		t.Fatal(err)
	}
	return st.Execution.ID
}

func (b *bundle) wait(t *testing.T, id string) weft.Execution {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	ex, err := b.eng.Wait(ctx, id)
	if err != nil {
		t.Fatalf("waiting for %s: %v", id, err)
	}
	return ex
}

func (b *bundle) apiGet(t *testing.T, path string) string {
	t.Helper()
	req := httptest.NewRequest("GET", path, nil)
	req.Header.Set("Authorization", "Bearer "+b.token)
	rec := httptest.NewRecorder()
	b.api.ServeHTTP(rec, req)
	return rec.Body.String()
}

func (b *bundle) apiPut(t *testing.T, path, body string) (int, string) {
	t.Helper()
	req := httptest.NewRequest("PUT", path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+b.token)
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	b.api.ServeHTTP(rec, req)
	return rec.Code, rec.Body.String()
}

// TestRetryAfterPausesTheConnection: a 429 with Retry-After: 2 pauses every
// step of the connection for ~2 s; the step succeeds on its next attempt.
func TestRetryAfterPausesTheConnection(t *testing.T) {
	t.Parallel()
	b := setup(t)
	var mu sync.Mutex
	var arrivals []time.Time
	first429 := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		arrivals = append(arrivals, time.Now())
		n := len(arrivals)
		mu.Unlock()
		if n == 1 {
			w.Header().Set("Retry-After", "2")
			w.WriteHeader(http.StatusTooManyRequests)
			close(first429)
			return
		}
		w.Write([]byte(`{"ok":true}`))
	}))
	t.Cleanup(srv.Close)
	if code, body := b.apiPut(t, "/api/v1/credentials/svc", `{"type":"bearer","data":{"token":"svc-token-123456"}}`); code != 200 {
		t.Fatalf("put credential: %d %s", code, body)
	}
	b.put(t, "name: paused\nsteps:\n  - id: call\n    uses: http.request\n    with:\n      credential: svc\n      url: "+srv.URL+"\n")
	a := b.start(t, "paused")
	<-first429
	// Once the 429 is handled (the connection shows paused_until), another
	// execution on the same connection must wait too.
	for deadline := time.Now().Add(5 * time.Second); !strings.Contains(b.apiGet(t, "/api/v1/connections"), "paused_until"); {
		if time.Now().After(deadline) {
			t.Fatal("the connection never showed a pause")
		}
		time.Sleep(5 * time.Millisecond)
	}
	other := b.start(t, "paused") // a different execution on the same connection
	exA, exB := b.wait(t, a), b.wait(t, other)
	if exA.Status != weft.ExecutionSucceeded || exB.Status != weft.ExecutionSucceeded {
		t.Fatalf("statuses %s, %s", exA.Status, exB.Status)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(arrivals) != 3 {
		t.Fatalf("server saw %d requests, want 3 (429, then one each)", len(arrivals))
	}
	for _, at := range arrivals[1:] {
		if gap := at.Sub(arrivals[0]); gap < 1900*time.Millisecond {
			t.Fatalf("a request arrived %s after the 429; the connection should pause ~2s", gap)
		}
	}
	runs, _ := b.st.GetStepRuns(context.Background(), a)
	h := runs[0].History
	if runs[0].Attempts != 2 || len(h) < 2 || h[0].Outcome != "retry" || h[0].Reason != "retry_after" || h[0].Wait.D() != 2*time.Second {
		t.Fatalf("step run: attempts %d, history %+v", runs[0].Attempts, h)
	}
}

// TestRateLimitHoldsAtTheServer: 100 executions through a connection limited
// to 5 requests/s; the server sees them no faster than that: its (m+1)-th
// request arrives at least m/5 seconds after the executions were started.
//
// The bound is the one the limiter's sliding window implies whatever the
// machine's load: the limiter grants at most 5 requests in any second, so
// its (m+1)-th grant comes at least m/5 s after the first, which comes after
// the start, and a request reaches the server only after its grant. A check
// of every 1-second window of arrivals would also measure how much longer
// one request took than another between its grant and the server, which a
// busy machine stretches past the limiter's 5% headroom.
func TestRateLimitHoldsAtTheServer(t *testing.T) {
	if testing.Short() {
		t.Skip("takes ~20s")
	}
	t.Parallel()
	b := setup(t)
	var mu sync.Mutex
	var arrivals []time.Time
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		arrivals = append(arrivals, time.Now())
		mu.Unlock()
		w.Write([]byte(`{}`))
	}))
	t.Cleanup(srv.Close)
	if code, body := b.apiPut(t, "/api/v1/credentials/slow-api", `{"type":"none","limits":{"requests":"5/s"}}`); code != 200 {
		t.Fatalf("put: %d %s", code, body)
	}
	b.put(t, "name: limited\nsteps:\n  - id: call\n    uses: http.request\n    with:\n      connection: slow-api\n      url: "+srv.URL+"\n")
	started := time.Now()
	ids := make([]string, 100)
	for i := range ids {
		ids[i] = b.start(t, "limited")
	}
	waited := 0
	for _, id := range ids {
		if ex := b.wait(t, id); ex.Status != weft.ExecutionSucceeded {
			t.Fatalf("%s: %s %v", id, ex.Status, ex.Error)
		}
		runs, _ := b.st.GetStepRuns(context.Background(), id)
		for _, a := range runs[0].History {
			if a.Outcome == "waiting" && strings.HasPrefix(a.Reason, "rate_limit:") {
				waited++
				break
			}
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if len(arrivals) != 100 {
		t.Fatalf("server saw %d requests", len(arrivals))
	}
	sort.Slice(arrivals, func(i, j int) bool { return arrivals[i].Before(arrivals[j]) })
	for m, at := range arrivals {
		if earliest := started.Add(time.Duration(m/5) * time.Second); at.Before(earliest) {
			t.Fatalf("request %d arrived %v after the start; at 5/s not before %v", m+1, at.Sub(started), earliest.Sub(started))
		}
	}
	if waited < 90 {
		t.Fatalf("only %d executions recorded a rate-limit wait", waited)
	}
	if s := b.apiGet(t, "/api/v1/connections"); !strings.Contains(s, `"limits":"requests 5/s"`) {
		t.Fatalf("connections: %s", s)
	}
}

// TestSecretGrep plants a credential, runs workflows that echo it back (in
// a success and in an error), and finds the secret in no database file, log
// line or API response.
func TestSecretGrep(t *testing.T) {
	t.Parallel()
	b := setup(t)
	const secret = "sk_live_PLANTED_9f8e7d6c5b4a3210"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		auth := r.Header.Get("Authorization")
		if r.URL.Path == "/fail" {
			w.WriteHeader(http.StatusBadRequest)
			io.WriteString(w, `{"error":"bad key `+auth+`"}`)
			return
		}
		w.Header().Set("X-Echo", auth)
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{"you_sent": auth, "token": strings.TrimPrefix(auth, "Bearer ")})
	}))
	t.Cleanup(srv.Close)
	if code, body := b.apiPut(t, "/api/v1/credentials/crm", `{"type":"bearer","data":{"token":"`+secret+`"},"workflows":["grep-ok","grep-fail"],"hosts":["127.0.0.1"]}`); code != 200 || strings.Contains(body, secret) {
		t.Fatalf("put: %d %s", code, body)
	}
	b.put(t, "name: grep-ok\nsteps:\n  - id: fetch\n    uses: http.request\n    with:\n      credential: crm\n      url: "+srv.URL+"/ok\n  - id: use\n    uses: transform\n    with:\n      copy: \"{{ steps.fetch.output.body.token }}\"\n")
	b.put(t, "name: grep-fail\nsteps:\n  - id: call\n    uses: http.request\n    with:\n      credential: crm\n      url: "+srv.URL+"/fail\n")
	b.put(t, "name: grep-denied\nsteps:\n  - id: call\n    uses: http.request\n    with:\n      credential: crm\n      url: "+srv.URL+"/ok\n")
	ok, fail, denied := b.wait(t, b.start(t, "grep-ok")), b.wait(t, b.start(t, "grep-fail")), b.wait(t, b.start(t, "grep-denied"))
	if ok.Status != weft.ExecutionSucceeded || fail.Status != weft.ExecutionFailed || denied.Status != weft.ExecutionFailed {
		t.Fatalf("statuses: %s %s %s (%v)", ok.Status, fail.Status, denied.Status, ok.Error)
	}
	if !strings.Contains(denied.Error.Message, "may not use connection") {
		t.Fatalf("least privilege: %v", denied.Error)
	}
	var responses []string
	for _, p := range []string{"/api/v1/executions/" + ok.ID, "/api/v1/executions/" + fail.ID, "/api/v1/executions",
		"/api/v1/credentials", "/api/v1/credentials/crm", "/api/v1/connections"} {
		responses = append(responses, b.apiGet(t, p))
	}
	all := strings.Join(responses, "\n")
	if !strings.Contains(all, "[redacted]") {
		t.Fatalf("expected redaction markers in the execution records:\n%s", all)
	}
	b.logger.Info("a careless log line", "value", secret)
	b.close() // flush the database and its WAL
	if strings.Contains(all, secret) {
		t.Fatalf("an API response holds the secret:\n%s", all)
	}
	if strings.Contains(b.logs.String(), secret) {
		t.Fatalf("the logs hold the secret:\n%s", b.logs.String())
	}
	files, _ := filepath.Glob(b.dbPath + "*")
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(raw, []byte(secret)) {
			t.Fatalf("%s holds the secret", filepath.Base(f))
		}
	}
}
