package webhook_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/connectors/standard"
	"github.com/weftworks/weft/engine"
	"github.com/weftworks/weft/step"
	"github.com/weftworks/weft/store/storesqlite"
	"github.com/weftworks/weft/trigger/webhook"
	"github.com/weftworks/weft/workflow"
)

type bundle struct {
	srv *httptest.Server
	eng *engine.Engine
	st  *storesqlite.Store
	h   *webhook.Handler
}

func setup(t testing.TB, cfg webhook.Config, docs ...string) *bundle {
	t.Helper()
	ctx := context.Background()
	st, err := storesqlite.Open(ctx, filepath.Join(t.TempDir(), "weft.db"), storesqlite.Options{Synchronous: storesqlite.SyncNormal})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	reg := step.NewRegistry()
	if err := standard.Register(reg); err != nil {
		t.Fatal(err)
	}
	for _, d := range docs {
		c, err := workflow.Parse("t.yaml", []byte(d), reg)
		if err != nil {
			t.Fatal(err)
		}
		rec := weft.WorkflowRecord{Name: c.Workflow.Name, Source: d, Enabled: c.Workflow.IsEnabled(), WebhookPath: c.Workflow.On.Webhook.Path}
		if _, _, err := st.PutWorkflow(ctx, rec); err != nil {
			t.Fatal(err)
		}
	}
	eng, err := engine.New(engine.Config{Store: st, Registry: reg, PollInterval: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { defer close(done); _ = eng.Run(runCtx) }()
	t.Cleanup(func() { stop(); <-done })
	cfg.Engine, cfg.Store = eng, st
	h, err := webhook.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	logDone := make(chan struct{})
	go func() { defer close(logDone); _ = h.Run(runCtx) }()
	t.Cleanup(func() { stop(); <-logDone })
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return &bundle{srv: srv, eng: eng, st: st, h: h}
}

const benchDoc = `
name: bench
on:
  webhook: { path: bench, method: POST, respond: sync }
steps:
  - id: compute
    uses: transform
    with:
      customer: "{{ trigger.body.customer }}"
      text_upper: "{{ upper(trigger.body.text) }}"
      amount_doubled: "{{ trigger.body.amount * 2 }}"
  - id: reply
    uses: respond
    with: { status: 200, body: "{{ steps.compute.output }}" }
`

const asyncDoc = `
name: intake
on:
  webhook: { path: in/forms, method: POST, max_body: 64 }
steps:
  - id: keep
    uses: transform
    with: { body: "{{ trigger.body }}", auth: "{{ trigger.headers.authorization }}" }
`

func post(t *testing.T, url, ctype, body string, hdr ...string) (*http.Response, []byte) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	req.Header.Set("Content-Type", ctype)
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, b
}

func TestSyncRespondAnswersWithTheRespondStep(t *testing.T) {
	t.Parallel()
	b := setup(t, webhook.Config{}, benchDoc)
	resp, body := post(t, b.srv.URL+"/hooks/bench", "application/json", `{"customer":"c1","text":"hello world","amount":42}`)
	if resp.StatusCode != 200 {
		t.Fatalf("status %d: %s", resp.StatusCode, body)
	}
	var got map[string]any
	if err := json.Unmarshal(body, &got); err != nil {
		t.Fatalf("body %s: %v", body, err)
	}
	if got["customer"] != "c1" || got["text_upper"] != "HELLO WORLD" || got["amount_doubled"] != float64(84) {
		t.Fatalf("body = %v", got)
	}
	id := resp.Header.Get("X-Weft-Execution-Id")
	ex, err := b.st.GetExecution(context.Background(), id)
	if err != nil || ex.Status != weft.ExecutionSucceeded || ex.Trigger != weft.TriggerWebhook {
		t.Fatalf("stored execution %q: %+v %v", id, ex, err)
	}
}

func TestAsyncStoresInputBeforeAnswering(t *testing.T) {
	t.Parallel()
	b := setup(t, webhook.Config{}, asyncDoc)
	resp, body := post(t, b.srv.URL+"/hooks/in/forms?src=x", "application/x-www-form-urlencoded", "name=ada&tag=a&tag=b",
		"Authorization", "Bearer caller-secret")
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("status %d: %s", resp.StatusCode, body)
	}
	var out struct {
		ExecutionID string `json:"execution_id"`
	}
	_ = json.Unmarshal(body, &out)
	// The input is on disk the moment the 202 is sent.
	ex, err := b.st.GetExecution(context.Background(), out.ExecutionID)
	if err != nil {
		t.Fatalf("execution %q not stored: %v", out.ExecutionID, err)
	}
	var in map[string]any
	_ = json.Unmarshal(ex.Input, &in)
	form := in["body"].(map[string]any)
	if form["name"] != "ada" || len(form["tag"].([]any)) != 2 || in["raw_body"] != "name=ada&tag=a&tag=b" {
		t.Fatalf("input = %s", ex.Input)
	}
	if in["query"].(map[string]any)["src"] != "x" || in["path"] != "in/forms" || in["method"] != "POST" {
		t.Fatalf("input = %s", ex.Input)
	}
	if bytes.Contains(ex.Input, []byte("caller-secret")) {
		t.Fatalf("the caller's Authorization header was stored: %s", ex.Input)
	}
}

func TestRejections(t *testing.T) {
	t.Parallel()
	b := setup(t, webhook.Config{}, asyncDoc, benchDoc)
	cases := []struct {
		name, path, method, ctype, body string
		want                            int
	}{
		{"unknown path", "/hooks/nope", "POST", "application/json", `{}`, 404},
		{"wrong method", "/hooks/bench", "GET", "", "", 405},
		{"too large", "/hooks/in/forms", "POST", "text/plain", strings.Repeat("x", 65), 413},
		{"bad json", "/hooks/bench", "POST", "application/json", `{"a":`, 400},
	}
	for _, c := range cases {
		req, _ := http.NewRequest(c.method, b.srv.URL+c.path, strings.NewReader(c.body))
		if c.ctype != "" {
			req.Header.Set("Content-Type", c.ctype)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var e struct {
			Error struct{ Code, Message string } `json:"error"`
		}
		_ = json.NewDecoder(resp.Body).Decode(&e)
		resp.Body.Close()
		if resp.StatusCode != c.want || e.Error.Message == "" {
			t.Errorf("%s: status %d (want %d), error %+v", c.name, resp.StatusCode, c.want, e.Error)
		}
	}
	list, _, err := b.st.ListExecutions(context.Background(), storeFilter())
	if err != nil || len(list) != 0 {
		t.Fatalf("rejected requests created executions: %d %v", len(list), err)
	}
}

func TestOverloadAnswers503WithRetryAfter(t *testing.T) {
	t.Parallel()
	slow := `
name: slowsync
on:
  webhook: { path: slow, respond: sync, timeout: 6s }
steps:
  - id: pause
    uses: wait
    with: { for: 3s }
`
	// The slow request holds the only slot for 3 s: long enough for a probe
	// to find it taken on a loaded machine.
	b := setup(t, webhook.Config{MaxInFlight: 1}, slow)
	first := make(chan int)
	go func() {
		for { // a probe may hold the slot for a moment: retry until admitted
			resp, _ := post(t, b.srv.URL+"/hooks/slow", "application/json", `{}`)
			if resp.StatusCode != http.StatusServiceUnavailable {
				first <- resp.StatusCode
				return
			}
			time.Sleep(time.Millisecond)
		}
	}()
	// Probe with requests to an unknown path: they answer 404 at once while
	// the slot is free, and 503 while the slow request holds it.
	deadline := time.Now().Add(5 * time.Second)
	for {
		resp, _ := post(t, b.srv.URL+"/hooks/probe", "application/json", `{}`)
		if resp.StatusCode == http.StatusServiceUnavailable {
			if resp.Header.Get("Retry-After") == "" {
				t.Fatal("503 without Retry-After")
			}
			break
		}
		if resp.StatusCode != http.StatusNotFound {
			t.Fatalf("probe answered %d", resp.StatusCode)
		}
		if time.Now().After(deadline) {
			t.Fatal("never saw a 503 while the slot was taken")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if code := <-first; code != http.StatusAccepted && code != http.StatusOK {
		t.Fatalf("first request got %d", code)
	}
}
