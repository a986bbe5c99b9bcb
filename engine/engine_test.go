package engine_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/connectors/standard"
	"github.com/weftworks/weft/engine"
	"github.com/weftworks/weft/step"
	"github.com/weftworks/weft/store"
	"github.com/weftworks/weft/store/storesqlite"
	"github.com/weftworks/weft/workflow"
)

type testBundle struct {
	eng   *engine.Engine
	store store.Store
	reg   *step.Registry
	stop  func() // stops Run and waits for it; the test's cleanup calls it too
}

func setup(t testing.TB, tweak ...func(*engine.Config)) *testBundle {
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
	cfg := engine.Config{Store: st, Registry: reg, PollInterval: 20 * time.Millisecond, InlineWait: 50 * time.Millisecond, Lease: 2 * time.Second}
	for _, f := range tweak {
		f(&cfg)
	}
	eng, err := engine.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { defer close(done); _ = eng.Run(runCtx) }()
	stop := sync.OnceFunc(func() { cancel(); <-done })
	t.Cleanup(stop)
	return &testBundle{eng: eng, store: st, reg: reg, stop: stop}
}

func (b *testBundle) put(t testing.TB, src string) {
	t.Helper()
	c, err := workflow.Parse("test.yaml", []byte(src), b.reg)
	if err != nil {
		t.Fatalf("workflow does not parse:\n%v", err)
	}
	rec := weft.WorkflowRecord{Name: c.Workflow.Name, Source: src, Enabled: true}
	if c.Workflow.On.Webhook != nil {
		rec.WebhookPath = c.Workflow.On.Webhook.Path
	}
	if _, _, err := b.store.PutWorkflow(context.Background(), rec); err != nil {
		t.Fatal(err)
	}
	b.eng.InvalidateWorkflow(c.Workflow.Name)
}

func (b *testBundle) run(t *testing.T, name, input string) (weft.Execution, map[string]weft.StepRun) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	st, err := b.eng.Start(ctx, engine.StartRequest{Workflow: name, Input: json.RawMessage(input)})
	if err != nil {
		t.Fatal(err)
	}
	ex, err := b.eng.Wait(ctx, st.Execution.ID)
	if err != nil {
		t.Fatalf("waiting for %s: %v (status %s)", st.Execution.ID, err, ex.Status)
	}
	return ex, b.steps(t, ex.ID)
}

func (b *testBundle) steps(t *testing.T, id string) map[string]weft.StepRun {
	t.Helper()
	runs, err := b.store.GetStepRuns(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]weft.StepRun{}
	for _, r := range runs {
		k := r.StepID
		if r.Item >= 0 {
			k = k + "#" + string(rune('0'+r.Item))
		}
		out[k] = r
	}
	return out
}

func decode(t *testing.T, raw json.RawMessage) any {
	t.Helper()
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatalf("decoding %s: %v", raw, err)
	}
	return v
}

func TestLinearTransformAndRespond(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.put(t, `
name: calc
steps:
  - id: a
    uses: transform
    with: { doubled: "{{ trigger.n * 2 }}", name: "{{ upper(trigger.name) }}" }
  - id: b
    uses: transform
    with: { msg: "{{ steps.a.output.name }} has {{ steps.a.output.doubled }}" }
`)
	ex, steps := b.run(t, "calc", `{"n": 21, "name": "ada"}`)
	if ex.Status != weft.ExecutionSucceeded {
		t.Fatalf("status %s, error %+v", ex.Status, ex.Error)
	}
	if got := decode(t, ex.Output).(map[string]any)["msg"]; got != "ADA has 42" {
		t.Fatalf("output msg = %v", got)
	}
	if steps["a"].Status != weft.StepSucceeded || steps["a"].Attempts != 1 {
		t.Fatalf("step a = %+v", steps["a"])
	}
	if ex.LeaseOwner != "" || ex.FinishedAt == nil {
		t.Fatalf("finished execution still leased or without finish time: %+v", ex)
	}
}

func TestParallelBranchesJoin(t *testing.T) {
	t.Parallel()
	// Each branch's server waits until the other branch's request arrived:
	// if the branches ran one after the other, the first would time out.
	var wg sync.WaitGroup
	wg.Add(2)
	arrived := make(chan struct{})
	go func() { wg.Wait(); close(arrived) }()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		wg.Done()
		select {
		case <-arrived:
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write([]byte(`{"branch":"` + strings.TrimPrefix(r.URL.Path, "/") + `"}`))
		case <-time.After(5 * time.Second):
			w.WriteHeader(http.StatusGatewayTimeout)
		}
	}))
	defer srv.Close()
	b := setup(t)
	b.put(t, `
name: fan
steps:
  - id: start
    uses: transform
    with: { ok: true }
  - id: left
    needs: [start]
    uses: http.request
    with: { url: "`+srv.URL+`/left" }
    retry: { max_attempts: 1 }
  - id: right
    needs: [start]
    uses: http.request
    with: { url: "`+srv.URL+`/right" }
    retry: { max_attempts: 1 }
  - id: join
    needs: [left, right]
    uses: transform
    with: { both: "{{ steps.left.output.body.branch + '+' + steps.right.output.body.branch }}" }
`)
	ex, _ := b.run(t, "fan", `{}`)
	if ex.Status != weft.ExecutionSucceeded {
		t.Fatalf("status %s, error %+v", ex.Status, ex.Error)
	}
	if got := decode(t, ex.Output).(map[string]any)["both"]; got != "left+right" {
		t.Fatalf("join output = %v", got)
	}
}

func TestIfSkipsAndSkipPropagates(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.put(t, `
name: branchy
steps:
  - id: check
    uses: transform
    with: { vip: "{{ trigger.spend > 1000 }}" }
  - id: escalate
    if: "{{ steps.check.output.vip }}"
    uses: transform
    with: { msg: escalated }
  - id: after
    needs: [escalate]
    uses: transform
    with: { msg: after }
  - id: always
    needs: [check]
    uses: transform
    with: { msg: always }
`)
	ex, steps := b.run(t, "branchy", `{"spend": 10}`)
	if ex.Status != weft.ExecutionSucceeded {
		t.Fatalf("status %s, %+v", ex.Status, ex.Error)
	}
	for id, want := range map[string]weft.StepStatus{"check": weft.StepSucceeded, "escalate": weft.StepSkipped, "after": weft.StepSkipped, "always": weft.StepSucceeded} {
		if steps[id].Status != want {
			t.Errorf("step %s: status %s, want %s", id, steps[id].Status, want)
		}
	}
	_, steps = b.run(t, "branchy", `{"spend": 5000}`)
	if steps["escalate"].Status != weft.StepSucceeded || steps["after"].Status != weft.StepSucceeded {
		t.Fatalf("vip run: escalate %s, after %s", steps["escalate"].Status, steps["after"].Status)
	}
}

func TestForEachCollectsResultsInOrder(t *testing.T) {
	t.Parallel()
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		w.Header().Set("Content-Type", "text/plain")
		_, _ = w.Write([]byte("item-" + r.URL.Query().Get("i")))
	}))
	defer srv.Close()
	b := setup(t)
	b.put(t, `
name: loop
steps:
  - id: each
    uses: http.request
    for_each: "{{ trigger.ids }}"
    concurrency: 2
    with: { url: "`+srv.URL+`", query: { i: "{{ item }}" } }
  - id: sum
    uses: transform
    with: { bodies: "{{ map(steps.each.output, .body) }}" }
`)
	ex, steps := b.run(t, "loop", `{"ids": ["a", "b", "c", "d", "e"]}`)
	if ex.Status != weft.ExecutionSucceeded {
		t.Fatalf("status %s, %+v", ex.Status, ex.Error)
	}
	got := decode(t, ex.Output).(map[string]any)["bodies"].([]any)
	want := []any{"item-a", "item-b", "item-c", "item-d", "item-e"}
	if len(got) != len(want) {
		t.Fatalf("bodies = %v", got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("bodies = %v, want %v", got, want)
		}
	}
	if calls.Load() != 5 {
		t.Fatalf("server saw %d calls, want 5", calls.Load())
	}
	if steps["each#4"].Status != weft.StepSucceeded {
		t.Fatalf("item run 4 = %+v", steps["each#4"])
	}
}

func TestRetryableErrorsRetryThenSucceed(t *testing.T) {
	t.Parallel()
	var calls atomic.Int32
	keys := make(chan string, 10)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		keys <- r.Header.Get("Idempotency-Key")
		if calls.Add(1) < 3 {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		_, _ = w.Write([]byte("ok"))
	}))
	defer srv.Close()
	b := setup(t)
	b.put(t, `
name: flaky
steps:
  - id: call
    uses: http.request
    with: { method: POST, url: "`+srv.URL+`", json: { a: 1 } }
    retry: { max_attempts: 4, initial: 10ms, max: 20ms }
`)
	ex, steps := b.run(t, "flaky", `{}`)
	if ex.Status != weft.ExecutionSucceeded {
		t.Fatalf("status %s, %+v", ex.Status, ex.Error)
	}
	if steps["call"].Attempts != 3 {
		t.Fatalf("attempts = %d, want 3", steps["call"].Attempts)
	}
	first := <-keys
	if first != ex.ID+"/call" || <-keys != first || <-keys != first {
		t.Fatalf("idempotency key not stable across attempts (first %q)", first)
	}
}

func TestPermanentFailureFailsAndStartsOnError(t *testing.T) {
	t.Parallel()
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		w.WriteHeader(http.StatusBadRequest)
		_, _ = w.Write([]byte(`{"error":"bad customer"}`))
	}))
	defer srv.Close()
	b := setup(t)
	b.put(t, `
name: oncall
steps:
  - id: note
    uses: transform
    with: { failed: "{{ trigger.failed_step }}", workflow: "{{ trigger.execution.workflow }}" }
`)
	b.put(t, `
name: breaks
on_error: oncall
steps:
  - id: call
    uses: http.request
    with: { url: "`+srv.URL+`" }
    retry: { max_attempts: 5, initial: 10ms }
  - id: never
    uses: transform
    with: { x: 1 }
`)
	ex, steps := b.run(t, "breaks", `{}`)
	if ex.Status != weft.ExecutionFailed || ex.Error == nil || !strings.Contains(ex.Error.Message, "400") {
		t.Fatalf("execution = %s %+v", ex.Status, ex.Error)
	}
	if calls.Load() != 1 {
		t.Fatalf("a 400 was attempted %d times; it must not be retried", calls.Load())
	}
	if _, ran := steps["never"]; ran {
		t.Fatal("a step after the failed one ran")
	}
	// The on_error workflow ran with the failed execution's details.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for {
		list, _, err := b.store.ListExecutions(ctx, store.ExecutionFilter{Workflow: "oncall"})
		if err != nil {
			t.Fatal(err)
		}
		if len(list) == 1 && list[0].Status.Finished() {
			out := decode(t, list[0].Output).(map[string]any)
			if out["failed"] != "call" || out["workflow"] != "breaks" || list[0].Trigger != weft.TriggerError {
				t.Fatalf("on_error output = %v (trigger %s)", out, list[0].Trigger)
			}
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("on_error execution did not finish: %+v", list)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

func TestContinueOnError(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.put(t, `
name: tolerant
steps:
  - id: boom
    uses: fail
    with: { message: "nope" }
    continue_on_error: true
  - id: after
    uses: transform
    with: { saw: "{{ steps.boom.status }}", msg: "{{ steps.boom.error.message }}" }
`)
	ex, _ := b.run(t, "tolerant", `{}`)
	if ex.Status != weft.ExecutionSucceeded {
		t.Fatalf("status %s %+v", ex.Status, ex.Error)
	}
	out := decode(t, ex.Output).(map[string]any)
	if out["saw"] != "failed" || !strings.Contains(out["msg"].(string), "nope") {
		t.Fatalf("output = %v", out)
	}
}

func TestWaitParksTheExecution(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.put(t, `
name: sleepy
steps:
  - id: pause
    uses: wait
    with: { for: 400ms }
  - id: done
    uses: transform
    with: { ok: true }
`)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	st, err := b.eng.Start(ctx, engine.StartRequest{Workflow: "sleepy"})
	if err != nil {
		t.Fatal(err)
	}
	// While it waits it is a row with a wake time, held by nobody.
	var parked bool
	for i := 0; i < 30 && !parked; i++ {
		ex, err := b.store.GetExecution(ctx, st.Execution.ID)
		if err != nil {
			t.Fatal(err)
		}
		parked = ex.Status == weft.ExecutionWaiting && ex.WakeAt != nil && ex.LeaseOwner == ""
		time.Sleep(10 * time.Millisecond)
	}
	if !parked {
		t.Fatal("the waiting execution was never parked as a waiting row")
	}
	ex, err := b.eng.Wait(ctx, st.Execution.ID)
	if err != nil || ex.Status != weft.ExecutionSucceeded {
		t.Fatalf("after the wait: %s %v", ex.Status, err)
	}
	if d := ex.FinishedAt.Sub(ex.CreatedAt); d < 400*time.Millisecond {
		t.Fatalf("finished after %s, before the 400ms wait ended", d)
	}
}

func TestWorkflowCallReturnsChildOutput(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.put(t, `
name: child
steps:
  - id: square
    uses: transform
    with: { result: "{{ trigger.n * trigger.n }}" }
`)
	b.put(t, `
name: parent
steps:
  - id: call
    uses: workflow.call
    with: { workflow: child, input: { n: "{{ trigger.n }}" } }
  - id: use
    uses: transform
    with: { got: "{{ steps.call.output.result }}" }
`)
	ex, _ := b.run(t, "parent", `{"n": 7}`)
	if ex.Status != weft.ExecutionSucceeded {
		t.Fatalf("status %s %+v", ex.Status, ex.Error)
	}
	if got := decode(t, ex.Output).(map[string]any)["got"]; got != float64(49) {
		t.Fatalf("got %v, want 49", got)
	}
	children, _, err := b.store.ListExecutions(context.Background(), store.ExecutionFilter{Workflow: "child"})
	if err != nil || len(children) != 1 || children[0].ParentID != ex.ID {
		t.Fatalf("children = %+v, err %v", children, err)
	}
}

func TestCancelRunningExecution(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	entered := make(chan struct{}, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		entered <- struct{}{}
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(release)
	b := setup(t)
	b.put(t, `
name: slow
steps:
  - id: hang
    uses: http.request
    with: { url: "`+srv.URL+`" }
  - id: after
    uses: transform
    with: { x: 1 }
`)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	st, err := b.eng.Start(ctx, engine.StartRequest{Workflow: "slow"})
	if err != nil {
		t.Fatal(err)
	}
	<-entered
	if _, err := b.eng.Cancel(ctx, st.Execution.ID); err != nil {
		t.Fatal(err)
	}
	ex, err := b.eng.Wait(ctx, st.Execution.ID)
	if err != nil || ex.Status != weft.ExecutionCanceled {
		t.Fatalf("after cancel: %s %v", ex.Status, err)
	}
	steps := b.steps(t, ex.ID)
	if steps["hang"].Status != weft.StepCanceled {
		t.Fatalf("hang = %s", steps["hang"].Status)
	}
	if _, ran := steps["after"]; ran {
		t.Fatal("a step after the canceled one ran")
	}
}

func TestRetryResumesFromFailedStep(t *testing.T) {
	t.Parallel()
	var firstCalls, secondCalls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/first" {
			firstCalls.Add(1)
			_, _ = w.Write([]byte("one"))
			return
		}
		if secondCalls.Add(1) == 1 {
			w.WriteHeader(http.StatusUnprocessableEntity)
			return
		}
		_, _ = w.Write([]byte("two"))
	}))
	defer srv.Close()
	b := setup(t)
	b.put(t, `
name: resumable
steps:
  - id: first
    uses: http.request
    with: { method: POST, url: "`+srv.URL+`/first" }
  - id: second
    uses: http.request
    with: { method: POST, url: "`+srv.URL+`/second" }
  - id: out
    uses: transform
    with: { joined: "{{ steps.first.output.body + steps.second.output.body }}" }
`)
	ex, _ := b.run(t, "resumable", `{}`)
	if ex.Status != weft.ExecutionFailed {
		t.Fatalf("first run: %s", ex.Status)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := b.eng.Retry(ctx, ex.ID); err != nil {
		t.Fatal(err)
	}
	ex, err := b.eng.Wait(ctx, ex.ID)
	if err != nil || ex.Status != weft.ExecutionSucceeded {
		t.Fatalf("after retry: %s %v %+v", ex.Status, err, ex.Error)
	}
	if got := decode(t, ex.Output).(map[string]any)["joined"]; got != "onetwo" {
		t.Fatalf("joined = %v", got)
	}
	if firstCalls.Load() != 1 {
		t.Fatalf("the completed first step ran %d times; want once", firstCalls.Load())
	}
	if _, err := b.eng.Retry(ctx, ex.ID); err == nil {
		t.Fatal("retrying a succeeded execution must fail")
	}
}

func TestSyncRespondDeliversResponse(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.put(t, `
name: syncy
steps:
  - id: compute
    uses: transform
    with: { v: "{{ trigger.x + 1 }}" }
  - id: reply
    uses: respond
    with: { status: 201, body: "{{ steps.compute.output }}" }
`)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	st, err := b.eng.Start(ctx, engine.StartRequest{Workflow: "syncy", Input: json.RawMessage(`{"x": 1}`), Respond: true})
	if err != nil {
		t.Fatal(err)
	}
	select {
	case resp := <-st.Response:
		out := decode(t, resp).(map[string]any)
		if out["status"] != float64(201) || out["body"].(map[string]any)["v"] != float64(2) {
			t.Fatalf("response = %s", resp)
		}
	case <-ctx.Done():
		t.Fatal("no response")
	}
	// The response was recorded before it was delivered.
	ex, err := b.store.GetExecution(ctx, st.Execution.ID)
	if err != nil || ex.Status != weft.ExecutionSucceeded || len(ex.Response) == 0 {
		t.Fatalf("stored execution: %s response %s err %v", ex.Status, ex.Response, err)
	}
}

func TestWorkflowConcurrencyLimit(t *testing.T) {
	t.Parallel()
	var running, peak atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := running.Add(1)
		for {
			p := peak.Load()
			if n <= p || peak.CompareAndSwap(p, n) {
				break
			}
		}
		time.Sleep(30 * time.Millisecond)
		running.Add(-1)
	}))
	defer srv.Close()
	b := setup(t)
	b.put(t, `
name: limited
concurrency: 2
steps:
  - id: call
    uses: http.request
    with: { url: "`+srv.URL+`" }
`)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var ids []string
	for i := 0; i < 8; i++ {
		st, err := b.eng.Start(ctx, engine.StartRequest{Workflow: "limited"})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, st.Execution.ID)
	}
	for _, id := range ids {
		ex, err := b.eng.Wait(ctx, id)
		if err != nil || ex.Status != weft.ExecutionSucceeded {
			t.Fatalf("%s: %s %v", id, ex.Status, err)
		}
	}
	if p := peak.Load(); p > 2 || p < 1 {
		t.Fatalf("peak concurrent executions = %d, limit 2", p)
	}
}

func TestRetentionPrunesFinishedExecutions(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.put(t, `
name: short-lived
steps:
  - id: a
    uses: transform
    with: { x: 1 }
`)
	var ids []string
	for i := 0; i < 5; i++ {
		ex, _ := b.run(t, "short-lived", `{}`)
		ids = append(ids, ex.ID)
	}
	time.Sleep(5 * time.Millisecond)
	// A second engine on the same store with a tiny retention prunes at start.
	eng, err := engine.New(engine.Config{Store: b.store, Registry: b.reg, Retention: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = eng.Run(ctx) }()
	defer func() { cancel(); <-done }()
	deadline := time.Now().Add(10 * time.Second)
	for {
		list, _, err := b.store.ListExecutions(context.Background(), store.ExecutionFilter{Workflow: "short-lived"})
		if err != nil {
			t.Fatal(err)
		}
		if len(list) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d executions left after pruning", len(list))
		}
		time.Sleep(10 * time.Millisecond)
	}
	if runs, err := b.store.GetStepRuns(context.Background(), ids[0]); err != nil || len(runs) != 0 {
		t.Fatalf("step runs of a pruned execution: %d, %v", len(runs), err)
	}
}

func TestWorkflowTimeoutAppliesWhileParked(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.put(t, `
name: too-slow
timeout: 300ms
steps:
  - id: pause
    uses: wait
    with: { for: 1m }
`)
	start := time.Now()
	ex, steps := b.run(t, "too-slow", `{}`)
	if ex.Status != weft.ExecutionFailed || ex.Error == nil || ex.Error.Code != "timeout" {
		t.Fatalf("execution = %s %+v", ex.Status, ex.Error)
	}
	if d := time.Since(start); d > 20*time.Second {
		t.Fatalf("timed out only after %s", d)
	}
	if steps["pause"].Status != weft.StepCanceled {
		t.Fatalf("pause = %s", steps["pause"].Status)
	}
}

// Resume from the failed step inside for_each and parallel branches: only
// what failed runs again.
func TestRetryInsideForEachAndBranches(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	calls := map[string]int{}
	failOnce := map[string]bool{"/item/c": true, "/right": true}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		calls[r.URL.Path]++
		fail := failOnce[r.URL.Path] && calls[r.URL.Path] == 1
		mu.Unlock()
		if fail {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		_, _ = w.Write([]byte(strings.TrimPrefix(r.URL.Path, "/")))
	}))
	defer srv.Close()
	b := setup(t)
	b.put(t, `
name: resume-inside
steps:
  - id: items
    uses: http.request
    for_each: "{{ ['a', 'b', 'c', 'd'] }}"
    with: { method: POST, url: "`+srv.URL+`/item/{{ item }}" }
  - id: left
    needs: [items]
    uses: http.request
    with: { method: POST, url: "`+srv.URL+`/left" }
  - id: right
    needs: [items]
    uses: http.request
    with: { method: POST, url: "`+srv.URL+`/right" }
  - id: join
    needs: [left, right]
    uses: transform
    with: { n: "{{ len(steps.items.output) }}", r: "{{ steps.right.output.body }}" }
`)
	ex, _ := b.run(t, "resume-inside", `{}`)
	if ex.Status != weft.ExecutionFailed {
		t.Fatalf("first run: %s", ex.Status)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := b.eng.Retry(ctx, ex.ID); err != nil {
		t.Fatal(err)
	}
	ex, err := b.eng.Wait(ctx, ex.ID)
	if err != nil || ex.Status != weft.ExecutionFailed {
		t.Fatalf("second run (right fails once): %s %v", ex.Status, err)
	}
	if _, err := b.eng.Retry(ctx, ex.ID); err != nil {
		t.Fatal(err)
	}
	ex, err = b.eng.Wait(ctx, ex.ID)
	if err != nil || ex.Status != weft.ExecutionSucceeded {
		t.Fatalf("third run: %s %v %+v", ex.Status, err, ex.Error)
	}
	mu.Lock()
	defer mu.Unlock()
	for path, want := range map[string]int{"/item/a": 1, "/item/b": 1, "/item/c": 2, "/item/d": 1, "/left": 1, "/right": 2} {
		if calls[path] != want {
			t.Errorf("%s called %d times, want %d", path, calls[path], want)
		}
	}
	if out := decode(t, ex.Output).(map[string]any); out["n"] != float64(4) || out["r"] != "right" {
		t.Fatalf("join output = %v", out)
	}
}

// slowCreates delays the writes that create executions.
type slowCreates struct {
	store.Store
	delay time.Duration
}

func (s slowCreates) Apply(ctx context.Context, m store.Mutation) (store.Result, error) {
	if m.Create != nil {
		time.Sleep(s.delay)
	}
	return s.Store.Apply(ctx, m)
}

// A lease renewal that runs while a fast-path execution's creating write is
// still in flight must not treat it as lost.
func TestRenewalDuringCreateKeepsTheExecution(t *testing.T) {
	t.Parallel()
	var slow slowCreates
	b := setup(t, func(c *engine.Config) {
		slow = slowCreates{Store: c.Store, delay: 700 * time.Millisecond}
		c.Store = slow
		c.Lease = time.Second // renewals every 200ms
	})
	// The first step calls out (not pure), so the creating write happens
	// on the runner's own context, which a lost lease would cancel.
	b.put(t, `
name: slow-create
steps:
  - id: a
    uses: wait
    with: { for: 10ms }
`)
	ex, _ := b.run(t, "slow-create", `{}`)
	if ex.Status != weft.ExecutionSucceeded {
		t.Fatalf("status %s %+v", ex.Status, ex.Error)
	}
}
