package e2e

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
)

const callChild = `
name: child
steps:
  - id: double
    uses: transform
    with: { result: "{{ trigger.n * 2 }}" }
`

const callParent = `
name: parent
on:
  webhook: { path: parent, method: POST }
steps:
  - id: call
    uses: workflow.call
    with: { workflow: child, input: { n: "{{ trigger.body.n }}" } }
`

// TestWorkflowCallBurstFinishes: 40 concurrent webhooks into a parent that
// calls a child, with 16 slots. A parent waiting in place for its child held
// its slot: 16 parents ran, 24 parents and 16 children queued forever.
func TestWorkflowCallBurstFinishes(t *testing.T) {
	t.Parallel()
	wfDir := t.TempDir()
	writeWorkflow(t, wfDir, "child", callChild)
	writeWorkflow(t, wfDir, "parent", callParent)
	srv := startServer(t, nil, "--data", t.TempDir(), "--workflows", wfDir, "--max-running", "16")

	const n = 40
	ids := make([]string, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			id, err := srv.hook("parent", fmt.Sprintf(`{"n": %d}`, i))
			if err != nil {
				t.Errorf("webhook %d: %v", i, err)
			}
			ids[i] = id
		}()
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	for id, ex := range waitFinished(t, srv, ids, 60*time.Second) {
		if ex.Status != "succeeded" {
			t.Errorf("parent %s: %s %+v", id, ex.Status, ex.Error)
		}
	}
	var children struct {
		Items []execution `json:"items"`
	}
	if code, err := srv.api("GET", "/api/v1/executions?workflow=child&limit=100", nil, &children); err != nil || code != 200 {
		t.Fatalf("listing children: %d %v", code, err)
	}
	succeeded := 0
	for _, c := range children.Items {
		if c.Status == "succeeded" {
			succeeded++
		}
	}
	if succeeded != n || len(children.Items) != n {
		t.Fatalf("%d children, %d succeeded; want %d, all succeeded", len(children.Items), succeeded, n)
	}
}

const selfCall = `
name: self
on:
  webhook: { path: self, method: POST }
steps:
  - id: again
    uses: workflow.call
    with: { workflow: self }
`

const ping = `
name: ping
on:
  webhook: { path: ping, method: POST }
steps:
  - id: pong
    uses: transform
    with: { ok: true }
`

// TestWorkflowCallSelfRecursionStops: a workflow that calls itself fails at
// the depth limit with an error that names the limit and the flag, and the
// server goes on running other workflows (it used to queue every new
// execution behind 1024 parents each waiting for its child).
func TestWorkflowCallSelfRecursionStops(t *testing.T) {
	t.Parallel()
	wfDir := t.TempDir()
	writeWorkflow(t, wfDir, "self", selfCall)
	writeWorkflow(t, wfDir, "ping", ping)
	srv := startServer(t, nil, "--data", t.TempDir(), "--workflows", wfDir)

	id, err := srv.hook("self", `{}`)
	if err != nil {
		t.Fatal(err)
	}
	ex := waitFinished(t, srv, []string{id}, 60*time.Second)[id]
	if ex.Status != "failed" || ex.Error == nil {
		t.Fatalf("self-calling execution: %s %+v, want failed", ex.Status, ex.Error)
	}
	for _, want := range []string{"nested call depth limit 16", "--max-call-depth", "WEFT_MAX_CALL_DEPTH"} {
		if !strings.Contains(ex.Error.Message, want) {
			t.Errorf("error does not say %q: %s", want, tail(ex.Error.Message, 600))
		}
	}
	var all struct {
		Items []execution `json:"items"`
	}
	if code, err := srv.api("GET", "/api/v1/executions?workflow=self&limit=100", nil, &all); err != nil || code != 200 {
		t.Fatalf("listing: %d %v", code, err)
	}
	if len(all.Items) != 17 {
		t.Errorf("%d executions of self, want 17 (depths 0 to 16)", len(all.Items))
	}
	for _, e := range all.Items {
		if e.Status != "failed" {
			t.Errorf("execution %s of the chain is %s, want failed", e.ID, e.Status)
		}
	}

	pid, err := srv.hook("ping", `{}`)
	if err != nil {
		t.Fatal(err)
	}
	if got := waitFinished(t, srv, []string{pid}, 10*time.Second)[pid]; got.Status != "succeeded" {
		t.Fatalf("another workflow after the recursion: %s %+v", got.Status, got.Error)
	}
}
