package e2e

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

const crashLoop = `
name: crashloop
on:
  webhook: { path: crashloop, method: POST }
steps:
  - id: boom
    uses: http.request
    with: { method: POST, url: "%s/boom" }
`

// TestCrashLoopQuarantined: a step that kills the process (here: the fake it
// calls makes the test SIGKILL the server, as an out-of-memory kill would)
// used to be replayed by every restart, forever. After --quarantine-after
// crashes in that step, the execution fails with the quarantine error, and
// later restarts stay up and do not run the step again.
func TestCrashLoopQuarantined(t *testing.T) {
	t.Parallel()
	var hits atomic.Int32
	hit := make(chan struct{}, 8)
	fake := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		hit <- struct{}{}
		<-r.Context().Done() // the caller dies mid-request
	}))
	defer fake.Close()
	wfDir := t.TempDir()
	writeWorkflow(t, wfDir, "crashloop", fmt.Sprintf(crashLoop, fake.URL))
	writeWorkflow(t, wfDir, "ping", ping)
	args := []string{"--data", t.TempDir(), "--workflows", wfDir, "--lease", "1s", "--quarantine-after", "3"}

	srv := startServer(t, nil, args...)
	id, err := srv.hook("crashloop", `{}`)
	if err != nil {
		t.Fatal(err)
	}
	for crash := 1; crash <= 3; crash++ {
		select {
		case <-hit:
		case <-time.After(30 * time.Second):
			t.Fatalf("the step did not run again before crash %d", crash)
		}
		srv.kill()
		srv = startServer(t, nil, args...)
	}
	ex := waitFinished(t, srv, []string{id}, 30*time.Second)[id]
	if ex.Status != "failed" || ex.Error == nil {
		t.Fatalf("after 3 crashes: %s %+v, want failed", ex.Status, ex.Error)
	}
	for _, want := range []string{`quarantined: step "boom" crashed the process 3 times`, "--quarantine-after"} {
		if !strings.Contains(ex.Error.Message, want) {
			t.Errorf("error does not say %q: %s", want, ex.Error.Message)
		}
	}

	// Later restarts stay up and leave it alone.
	srv.kill()
	srv = startServer(t, nil, args...)
	pid, err := srv.hook("ping", `{}`)
	if err != nil {
		t.Fatal(err)
	}
	if got := waitFinished(t, srv, []string{pid}, 10*time.Second)[pid]; got.Status != "succeeded" {
		t.Fatalf("another workflow after the quarantine: %s %+v", got.Status, got.Error)
	}
	time.Sleep(2 * time.Second) // more than a lease: a takeover would have happened
	select {
	case <-srv.done:
		t.Fatal("the server stopped after the quarantine")
	default:
	}
	if n := hits.Load(); n != 3 {
		t.Fatalf("the crashing step ran %d times, want 3", n)
	}
}
