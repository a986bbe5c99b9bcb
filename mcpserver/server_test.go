package mcpserver_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/engine"
	"github.com/weftworks/weft/mcpserver"
	"github.com/weftworks/weft/step"
	"github.com/weftworks/weft/store"
	"github.com/weftworks/weft/workflow"
)

const slowTool = `name: slow
mcp: { tool: true, description: Takes its time. }
inputs: { type: object, properties: { n: { type: integer } } }
steps:
  - id: a
    uses: t
`

// fakeEngine starts executions that finish when release is closed.
type fakeEngine struct {
	c         *workflow.Compiled
	release   chan struct{}
	started   atomic.Int32
	mu        sync.Mutex
	canceled  []string
	workflows []string // started, in order
}

func (e *fakeEngine) Start(_ context.Context, req engine.StartRequest) (*engine.Started, error) {
	if err := e.c.CheckInput(req.Input); err != nil {
		return nil, err
	}
	n := e.started.Add(1)
	e.mu.Lock()
	e.workflows = append(e.workflows, req.Workflow)
	e.mu.Unlock()
	return &engine.Started{Execution: weft.Execution{ID: "ex-" + string(rune('0'+n)), Workflow: req.Workflow, Trigger: req.Trigger}}, nil
}

func (e *fakeEngine) Wait(ctx context.Context, id string) (weft.Execution, error) {
	select {
	case <-e.release:
		return weft.Execution{ID: id, Status: weft.ExecutionSucceeded, Output: json.RawMessage(`{"ok":true}`)}, nil
	case <-ctx.Done():
		return weft.Execution{}, ctx.Err()
	}
}

func (e *fakeEngine) Cancel(_ context.Context, id string) (weft.Execution, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.canceled = append(e.canceled, id)
	return weft.Execution{ID: id, Status: weft.ExecutionCanceled}, nil
}

func (e *fakeEngine) Compiled(context.Context, string) (weft.WorkflowRecord, *workflow.Compiled, error) {
	return weft.WorkflowRecord{Name: "slow"}, e.c, nil
}

type fakeStore struct{}

func (fakeStore) ListWorkflows(context.Context, store.Page) ([]weft.WorkflowRecord, string, error) {
	return []weft.WorkflowRecord{{Name: "slow", Enabled: true}}, "", nil
}
func (fakeStore) GetExecution(_ context.Context, id string) (weft.Execution, error) {
	return weft.Execution{ID: id, Workflow: "slow"}, nil
}
func (fakeStore) GetStepRuns(context.Context, string) ([]weft.StepRun, error) { return nil, nil }

type tokens struct{}

func (tokens) Principal(_ context.Context, tok string) (string, bool) {
	return "p-" + tok, tok != "bad"
}

func setup(t *testing.T, cfg mcpserver.Config) (*fakeEngine, string) {
	t.Helper()
	reg := step.NewRegistry()
	reg.MustAdd(step.Spec{Type: "t"}, step.HandlerFunc(func(context.Context, *step.Request) (step.Result, error) { return step.Result{}, nil }))
	c, err := workflow.Parse("slow.yaml", []byte(slowTool), reg)
	if err != nil {
		t.Fatal(err)
	}
	e := &fakeEngine{c: c, release: make(chan struct{})}
	cfg.Engine, cfg.Tokens = e, tokens{}
	if cfg.Store == nil {
		cfg.Store = fakeStore{}
	}
	s, err := mcpserver.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	return e, srv.URL
}

// bearer adds a token to each request over a transport of its own:
// httptest.Server.Close closes http.DefaultTransport's idle connections,
// which broke a parallel test's session when they shared it.
type bearer struct {
	tok string
	rt  *http.Transport
}

func newBearer(tok string) bearer { return bearer{tok: tok, rt: &http.Transport{}} }

func (b bearer) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", "Bearer "+b.tok)
	return b.rt.RoundTrip(r)
}

func connect(t *testing.T, url, tok string, progress func(*mcp.ProgressNotificationParams)) *mcp.ClientSession {
	t.Helper()
	c := mcp.NewClient(&mcp.Implementation{Name: "test", Version: "1"}, &mcp.ClientOptions{
		ProgressNotificationHandler: func(_ context.Context, r *mcp.ProgressNotificationClientRequest) {
			if progress != nil {
				progress(r.Params)
			}
		}})
	cs, err := c.Connect(context.Background(), &mcp.StreamableClientTransport{Endpoint: url, HTTPClient: &http.Client{Transport: newBearer(tok)}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cs.Close() })
	return cs
}

func TestProgressThenResult(t *testing.T) {
	t.Parallel()
	e, url := setup(t, mcpserver.Config{Progress: 50 * time.Millisecond})
	var mu sync.Mutex
	var got []string
	cs := connect(t, url, "ok", func(p *mcp.ProgressNotificationParams) {
		mu.Lock()
		got = append(got, p.Message)
		if len(got) == 2 {
			close(e.release)
		}
		mu.Unlock()
	})
	params := &mcp.CallToolParams{Name: "slow", Arguments: map[string]any{"n": 1}}
	params.SetProgressToken("tok-1")
	res, err := cs.CallTool(context.Background(), params)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(res.StructuredContent)
	if res.IsError || !strings.Contains(string(b), `"succeeded"`) {
		t.Fatalf("result = %s", b)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(got) < 2 || !strings.Contains(got[0], "still running") {
		t.Fatalf("progress = %v", got)
	}
	bad, err := cs.CallTool(context.Background(), &mcp.CallToolParams{Name: "slow", Arguments: map[string]any{"n": "x"}})
	if err == nil && !bad.IsError {
		t.Fatalf("bad input accepted: %+v", bad)
	}
}

func TestMaxWaitAnswersTheExecutionID(t *testing.T) {
	t.Parallel()
	_, url := setup(t, mcpserver.Config{Progress: 20 * time.Millisecond, MaxWait: 100 * time.Millisecond})
	cs := connect(t, url, "ok", nil)
	res, err := cs.CallTool(context.Background(), &mcp.CallToolParams{Name: "slow", Arguments: map[string]any{}})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(res.StructuredContent)
	if res.IsError || !strings.Contains(string(b), `"running"`) || !strings.Contains(string(b), "weft://executions/ex-1") {
		t.Fatalf("result = %s", b)
	}
	r, err := cs.ReadResource(context.Background(), &mcp.ReadResourceParams{URI: "weft://executions/ex-1"})
	if err != nil || len(r.Contents) != 1 || !strings.Contains(r.Contents[0].Text, "ex-1") {
		t.Fatalf("resource: %+v %v", r, err)
	}
}

func TestCancelledCallCancelsTheExecution(t *testing.T) {
	t.Parallel()
	e, url := setup(t, mcpserver.Config{Progress: 20 * time.Millisecond})
	cs := connect(t, url, "ok", nil)
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		for e.started.Load() == 0 {
			time.Sleep(5 * time.Millisecond)
		}
		cancel()
	}()
	if _, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "slow", Arguments: map[string]any{}}); err == nil {
		t.Fatal("a cancelled call succeeded")
	}
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		e.mu.Lock()
		n := len(e.canceled)
		e.mu.Unlock()
		if n == 1 {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatal("the execution of a cancelled call was not cancelled")
}

// TestConcurrentCallsAreBounded: past MaxCalls a call is refused at once,
// the process keeps serving, and the held calls finish.
func TestConcurrentCallsAreBounded(t *testing.T) {
	t.Parallel()
	e, url := setup(t, mcpserver.Config{MaxCalls: 4, Progress: time.Second})
	cs := connect(t, url, "ok", nil)
	var wg sync.WaitGroup
	var refused, ok atomic.Int32
	for range 40 {
		wg.Go(func() {
			res, err := cs.CallTool(context.Background(), &mcp.CallToolParams{Name: "slow", Arguments: map[string]any{}})
			switch {
			case err != nil:
				t.Error(err)
			case res.IsError:
				refused.Add(1)
			default:
				ok.Add(1)
			}
		})
	}
	deadline := time.Now().Add(10 * time.Second)
	for refused.Load() < 36 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	close(e.release)
	wg.Wait()
	if ok.Load() != 4 || refused.Load() != 36 {
		t.Fatalf("ok %d, refused %d; want 4 and 36", ok.Load(), refused.Load())
	}
}

func TestTokenAndAllow(t *testing.T) {
	t.Parallel()
	_, url := setup(t, mcpserver.Config{Allow: func(_ context.Context, principal, wf string) bool { return principal == "p-admin" }})
	c := mcp.NewClient(&mcp.Implementation{Name: "test", Version: "1"}, nil)
	if _, err := c.Connect(context.Background(), &mcp.StreamableClientTransport{Endpoint: url, HTTPClient: &http.Client{Transport: newBearer("bad")}}, nil); err == nil {
		t.Fatal("a bad token connected")
	}
	cs := connect(t, url, "someone", nil)
	tools, err := cs.ListTools(context.Background(), nil)
	if err != nil || len(tools.Tools) != 0 {
		t.Fatalf("a principal without access sees %+v (%v)", tools, err)
	}
	if _, err := cs.ReadResource(context.Background(), &mcp.ReadResourceParams{URI: "weft://executions/ex-1"}); err == nil {
		t.Fatal("a principal without access read an execution")
	}
	admin := connect(t, url, "admin", nil)
	tools, err = admin.ListTools(context.Background(), nil)
	if err != nil || len(tools.Tools) != 1 || tools.Tools[0].Name != "slow" {
		t.Fatalf("admin tools = %+v (%v)", tools, err)
	}
}

// TestAuditEachCall: every tools/call is recorded once: a call that
// started an execution as mcp.call with its id, a call refused by Allow,
// with bad input or of a tool the session does not list as
// mcp.call.refused, each with the principal and the client's address.
func TestAuditEachCall(t *testing.T) {
	t.Parallel()
	type entry struct{ principal, source, action, target, detail string }
	var mu sync.Mutex
	var got []entry
	allowed := atomic.Bool{}
	allowed.Store(true)
	e, url := setup(t, mcpserver.Config{
		Allow: func(context.Context, string, string) bool { return allowed.Load() },
		Audit: func(_ context.Context, principal, source, action, target string, detail map[string]any) {
			b, _ := json.Marshal(detail)
			mu.Lock()
			got = append(got, entry{principal, source, action, target, string(b)})
			mu.Unlock()
		},
	})
	close(e.release)
	cs := connect(t, url, "ops", nil)
	ctx := context.Background()
	if res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "slow", Arguments: map[string]any{"n": 1}}); err != nil || res.IsError {
		t.Fatalf("call: %v %+v", err, res)
	}
	if res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "slow", Arguments: map[string]any{"n": "x"}}); err != nil || !res.IsError {
		t.Fatalf("bad input: %v %+v", err, res)
	}
	if _, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "nope", Arguments: map[string]any{}}); err == nil {
		t.Fatal("an unknown tool was called")
	}
	allowed.Store(false)
	if res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "slow", Arguments: map[string]any{}}); err != nil || !res.IsError {
		t.Fatalf("a refused call: %v %+v", err, res)
	}
	mu.Lock()
	defer mu.Unlock()
	want := []entry{
		{"p-ops", "127.0.0.1", "mcp.call", "slow", `{"execution_id":"ex-1"}`},
		{"p-ops", "127.0.0.1", "mcp.call.refused", "slow", `{"reason":"invalid input"}`},
		{"p-ops", "127.0.0.1", "mcp.call.refused", "nope", `{"reason":"not a tool of this session: unknown, disabled or not allowed for this token"}`},
		{"p-ops", "127.0.0.1", "mcp.call.refused", "slow", `{"reason":"not allowed"}`},
	}
	if len(got) != len(want) {
		t.Fatalf("audit entries = %+v, want %+v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("entry %d = %+v, want %+v", i, got[i], want[i])
		}
	}
}

// twoTools lists a second workflow that compiles to the same tool name.
type twoTools struct{ fakeStore }

func (twoTools) ListWorkflows(context.Context, store.Page) ([]weft.WorkflowRecord, string, error) {
	return []weft.WorkflowRecord{{Name: "slow", Enabled: true}, {Name: "slow-copy", Enabled: true}}, "", nil
}

// TestDuplicateToolName: when two workflows claim one tool name, the
// first listed keeps it and the session lists the name once.
func TestDuplicateToolName(t *testing.T) {
	t.Parallel()
	e, url := setup(t, mcpserver.Config{Store: twoTools{}})
	close(e.release)
	cs := connect(t, url, "admin", nil)
	tools, err := cs.ListTools(context.Background(), nil)
	if err != nil || len(tools.Tools) != 1 || tools.Tools[0].Name != "slow" {
		t.Fatalf("tools = %+v (%v), want slow once", tools, err)
	}
	if res, err := cs.CallTool(context.Background(), &mcp.CallToolParams{Name: "slow", Arguments: map[string]any{}}); err != nil || res.IsError {
		t.Fatalf("call: %v %+v", err, res)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if len(e.workflows) != 1 || e.workflows[0] != "slow" {
		t.Fatalf("started %v, want the first workflow, slow", e.workflows)
	}
}
