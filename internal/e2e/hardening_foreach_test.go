package e2e

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"syscall"
	"testing"
	"time"
)

// itemsBody is a webhook body {"items": [0, 1, …, n-1]}.
func itemsBody(n int) string {
	var b strings.Builder
	b.WriteString(`{"items": [`)
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprint(&b, i)
	}
	b.WriteString(`]}`)
	return b.String()
}

const forEachLoop = `
name: loop
on:
  webhook: { path: loop, method: POST }
steps:
  - id: each
    uses: transform
    for_each: "{{ trigger.body.items }}"
    with: { v: "{{ item * 2 }}" }
`

// TestForEachOverLimitRefused: 100,000 items (a 600 kB body) used to run
// for 11 minutes; above the default limit the step now fails at once with an
// error giving the count, the limit and the flag, and the server stays up.
func TestForEachOverLimitRefused(t *testing.T) {
	t.Parallel()
	wfDir := t.TempDir()
	writeWorkflow(t, wfDir, "loop", forEachLoop)
	writeWorkflow(t, wfDir, "ping", ping)
	srv := startServer(t, nil, "--data", t.TempDir(), "--workflows", wfDir)

	id, err := srv.hook("loop", itemsBody(100_000))
	if err != nil {
		t.Fatal(err)
	}
	ex := waitFinished(t, srv, []string{id}, 30*time.Second)[id]
	if ex.Status != "failed" || ex.Error == nil {
		t.Fatalf("100,000 items: %s %+v, want failed", ex.Status, ex.Error)
	}
	for _, want := range []string{"100000 items", "limit of 10000", "--max-for-each-items", "WEFT_MAX_FOR_EACH_ITEMS"} {
		if !strings.Contains(ex.Error.Message, want) {
			t.Errorf("error does not say %q: %s", want, ex.Error.Message)
		}
	}
	pid, err := srv.hook("ping", `{}`)
	if err != nil {
		t.Fatal(err)
	}
	if got := waitFinished(t, srv, []string{pid}, 10*time.Second)[pid]; got.Status != "succeeded" {
		t.Fatalf("another workflow afterwards: %s %+v", got.Status, got.Error)
	}
}

const forEachBig = `
name: big
on:
  webhook: { path: big, method: POST }
steps:
  - id: start
    uses: http.request
    with: { method: POST, url: "%s/start" }
  - id: each
    uses: transform
    for_each: "{{ trigger.body.items }}"
    with: { v: "{{ item * 2 }}" }
  - id: count
    uses: transform
    with: { n: "{{ len(steps.each.output) }}", last: "{{ steps.each.output[len(steps.each.output) - 1].v }}" }
`

// TestForEachSIGTERMStopsPromptly: SIGTERM in the middle of a large
// for_each (the limit raised to allow it) stops the server within seconds,
// and after a restart the execution resumes and completes every item.
func TestForEachSIGTERMStopsPromptly(t *testing.T) {
	t.Parallel()
	started := make(chan struct{}, 1)
	fake := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case started <- struct{}{}:
		default:
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"ok":true}`))
	}))
	defer fake.Close()
	const n = 100_000
	wfDir := t.TempDir()
	writeWorkflow(t, wfDir, "big", fmt.Sprintf(forEachBig, fake.URL))
	args := []string{"--data", t.TempDir(), "--workflows", wfDir, "--max-for-each-items", "200000"}
	srv := startServer(t, nil, args...)

	id, err := srv.hook("big", itemsBody(n))
	if err != nil {
		t.Fatal(err)
	}
	select {
	case <-started:
	case <-time.After(30 * time.Second):
		t.Fatal("the step before the for_each never ran")
	}
	time.Sleep(200 * time.Millisecond) // into the items
	sent := time.Now()
	if err := srv.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case <-srv.done:
		t.Logf("stopped %s after SIGTERM", time.Since(sent).Round(time.Millisecond))
	case <-time.After(15 * time.Second):
		t.Fatal("weft serve still running 15 s after SIGTERM during a for_each")
	}

	srv = startServer(t, nil, args...)
	ex := waitFinished(t, srv, []string{id}, 60*time.Second)[id]
	if ex.Status != "succeeded" {
		t.Fatalf("after restart: %s %+v", ex.Status, ex.Error)
	}
	var full struct {
		Output struct {
			N    float64 `json:"n"`
			Last float64 `json:"last"`
		} `json:"output"`
	}
	if code, err := srv.api("GET", "/api/v1/executions/"+id, nil, &full); err != nil || code != 200 {
		t.Fatalf("reading execution: %d %v", code, err)
	}
	if full.Output.N != n || full.Output.Last != 2*(n-1) {
		t.Fatalf("output n=%v last=%v, want n=%d last=%d (every item, in order)", full.Output.N, full.Output.Last, n, 2*(n-1))
	}
}
