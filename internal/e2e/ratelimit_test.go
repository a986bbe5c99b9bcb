package e2e

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"sort"
	"sync"
	"testing"
	"time"
)

const limitedWorkflow = `
name: limited
on:
  webhook: { path: limited, method: POST }
steps:
  - id: call
    uses: http.request
    with: { connection: shared-api, url: "%s/limited" }
`

// TestTwoProcessesShareOneRateLimit: two weft serve processes on one
// PostgreSQL database run 30 executions through a connection limited to 5
// requests/s; the fake server never sees more than 5 in any 1-second window
// (one budget, not one per process). 30 keep both processes queued on the
// budget for six windows; two budgets would show 10 in the first one.
func TestTwoProcessesShareOneRateLimit(t *testing.T) {
	t.Parallel()
	db := pgSchemaURL(t)
	var mu sync.Mutex
	var arrivals []time.Time
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		arrivals = append(arrivals, time.Now())
		mu.Unlock()
		w.Write([]byte(`{}`))
	}))
	defer srv.Close()
	wfDir := t.TempDir()
	writeWorkflow(t, wfDir, "limited", fmt.Sprintf(limitedWorkflow, srv.URL))
	args := func() []string { return []string{"--db", db, "--data", t.TempDir(), "--workflows", wfDir} }
	a := startServer(t, nil, args()...)
	b := startServer(t, nil, args()...)
	if code, err := a.api("PUT", "/api/v1/credentials/shared-api", map[string]any{"type": "none", "limits": map[string]any{"requests": "5/s"}}, nil); err != nil || code != 200 {
		t.Fatalf("creating the connection: %d %v", code, err)
	}
	const total = 30
	var ids []string
	for i := range total {
		s := a
		if i%2 == 1 {
			s = b
		}
		id, err := s.hook("limited", `{}`)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	done := waitFinished(t, b, ids, 120*time.Second)
	for id, ex := range done {
		if ex.Status != "succeeded" {
			t.Fatalf("%s: %s", id, ex.Status)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if len(arrivals) != total {
		t.Fatalf("server saw %d requests, want %d", len(arrivals), total)
	}
	sort.Slice(arrivals, func(i, j int) bool { return arrivals[i].Before(arrivals[j]) })
	for i := range arrivals {
		n := 0
		for j := i; j < len(arrivals) && arrivals[j].Sub(arrivals[i]) < time.Second; j++ {
			n++
		}
		if n > 5 {
			t.Fatalf("%d requests within 1s from request %d: the processes did not share one budget", n, i)
		}
	}
}
