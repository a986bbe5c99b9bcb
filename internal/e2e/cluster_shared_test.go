package e2e

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/weftworks/weft/internal/fakes/aifake"
)

// twoOnPostgres starts two weft serve processes on one fresh PostgreSQL
// schema, serving the workflows in wfDir.
func twoOnPostgres(t *testing.T, wfDir string, env []string) (*server, *server) {
	t.Helper()
	db := pgSchemaURL(t)
	args := func() []string { return []string{"--db", db, "--data", t.TempDir(), "--workflows", wfDir} }
	return startServer(t, env, args()...), startServer(t, env, args()...)
}

const limitedHookWorkflow = `
name: limited-hook
on:
  webhook: { path: limited-hook, method: POST, rate_limit: { per_minute: 6, burst: 4 } }
steps:
  - id: note
    uses: transform
    with: { ok: true }
`

// TestClusterWebhookRateLimit: a webhook limited to a burst of 4 (then
// 6/min) served by two processes accepts 4 requests across both, not 4
// each; the refused ones get 429 with Retry-After.
func TestClusterWebhookRateLimit(t *testing.T) {
	t.Parallel()
	wfDir := t.TempDir()
	writeWorkflow(t, wfDir, "limited-hook", limitedHookWorkflow)
	a, b := twoOnPostgres(t, wfDir, nil)
	start := time.Now()
	accepted := map[*server]int{}
	refused := 0
	for i := range 40 {
		s := a
		if i%2 == 1 {
			s = b
		}
		resp, err := http.Post(s.url+"/hooks/limited-hook", "application/json", strings.NewReader(`{}`))
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		switch resp.StatusCode {
		case http.StatusAccepted:
			accepted[s]++
		case http.StatusTooManyRequests:
			refused++
			if resp.Header.Get("Retry-After") == "" {
				t.Fatal("a 429 without Retry-After")
			}
		default:
			t.Fatalf("request %d: status %d", i, resp.StatusCode)
		}
	}
	elapsed := time.Since(start)
	// One cluster-wide bucket: the burst plus what refilled meanwhile
	// (6/min). Two per-process buckets would have let 8 or more through.
	allowed := 4 + int(elapsed.Seconds()/10)
	total := accepted[a] + accepted[b]
	t.Logf("40 requests in %s: %d accepted (A %d, B %d), %d refused", elapsed.Round(time.Millisecond), total, accepted[a], accepted[b], refused)
	if total < 4 || total > allowed {
		t.Fatalf("accepted %d requests across two processes; the cluster-wide limit allows %d", total, allowed)
	}
	if accepted[a] == 0 || accepted[b] == 0 {
		t.Fatalf("one process accepted nothing (A %d, B %d): the requests did not reach both", accepted[a], accepted[b])
	}
}

const breakerWorkflow = `
name: breaker
on:
  webhook: { path: breaker, method: POST }
steps:
  - id: call
    uses: http.request
    retry: { max_attempts: 1 }
    with: { url: "%s/down", circuit_breaker: 3 }
`

// TestClusterCircuitBreaker: a host fails three times for process A, whose
// breaker opens; process B, which never called the host, refuses to call
// it too (shared within the sync period) and its metrics show it open.
func TestClusterCircuitBreaker(t *testing.T) {
	t.Parallel()
	var hits atomic.Int64
	down := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		http.Error(w, `{"error":"down"}`, http.StatusBadGateway)
	}))
	defer down.Close()
	host := strings.TrimPrefix(down.URL, "http://")
	wfDir := t.TempDir()
	writeWorkflow(t, wfDir, "breaker", fmt.Sprintf(breakerWorkflow, down.URL))
	a, b := twoOnPostgres(t, wfDir, nil)

	var ids []string
	for range 3 {
		id, err := a.hook("breaker", `{}`)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
		waitFinished(t, a, []string{id}, 30*time.Second)
	}
	if n := hits.Load(); n != 3 {
		t.Fatalf("the failing host saw %d calls from A, want 3", n)
	}
	openedAt := time.Now()
	openLine := fmt.Sprintf(`weft_circuit_breaker_state{host=%q} 2`, host)
	if !strings.Contains(metricsOf(t, a), openLine) {
		t.Fatalf("A's breaker for %s is not open after 3 failures", host)
	}
	for !strings.Contains(metricsOf(t, b), openLine) {
		if time.Since(openedAt) > 10*time.Second {
			t.Fatalf("B never saw the circuit A opened")
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Logf("B saw A's open circuit %s after A's metrics showed it", time.Since(openedAt).Round(time.Millisecond))
	id, err := b.hook("breaker", `{}`)
	if err != nil {
		t.Fatal(err)
	}
	// The step is retried after the open period; its first attempt must
	// fail fast without calling the host.
	deadline := time.Now().Add(20 * time.Second)
	for {
		var ex struct {
			Steps []struct {
				Status string `json:"status"`
				Error  *struct {
					Code string `json:"code"`
				} `json:"error"`
			} `json:"steps"`
		}
		if code, err := b.api("GET", "/api/v1/executions/"+id+"?include=steps", nil, &ex); err == nil && code == 200 &&
			len(ex.Steps) == 1 && ex.Steps[0].Error != nil {
			if ex.Steps[0].Error.Code != "circuit_open" {
				t.Fatalf("B's step failed with %q, want circuit_open", ex.Steps[0].Error.Code)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("B's step never recorded circuit_open")
		}
		time.Sleep(50 * time.Millisecond)
	}
	if n := hits.Load(); n != 3 {
		t.Fatalf("B called the host although the cluster's circuit is open (%d calls)", n)
	}
}

func metricsOf(t *testing.T, s *server) string {
	t.Helper()
	req, _ := http.NewRequest("GET", s.url+"/metrics", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

const cachedAIWorkflow = `
name: ask
on:
  webhook: { path: ask, method: POST }
steps:
  - id: answer
    uses: ai.chat
    retry: { max_attempts: 1 }
    with: { provider: openai-compatible, base_url: "%s", model: m1, credential: llm, prompt: "What is 6 x 7?", temperature: 0, stream: false }
`

// TestClusterAICache: an answer paid for by process A is reused by process
// B: the model is called once for two identical calls in two processes.
func TestClusterAICache(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	fake := aifake.New("", func(*aifake.Call) aifake.Reply {
		mu.Lock()
		defer mu.Unlock()
		return aifake.Reply{Text: "42"}
	})
	defer fake.Close()
	wfDir := t.TempDir()
	writeWorkflow(t, wfDir, "ask", fmt.Sprintf(cachedAIWorkflow, fake.OpenAIURL()))
	a, b := twoOnPostgres(t, wfDir, nil)
	putCredential(t, a, "llm", map[string]any{"type": "api_key", "data": map[string]any{"api_key": "sk-e2e-cache"}})
	for _, s := range []*server{a, b} {
		id, err := s.hook("ask", `{}`)
		if err != nil {
			t.Fatal(err)
		}
		if ex := waitFinished(t, s, []string{id}, 30*time.Second)[id]; ex.Status != "succeeded" {
			t.Fatalf("execution on %s: %s %+v", s.url, ex.Status, ex.Error)
		}
	}
	if n := fake.Count(nil); n != 1 {
		t.Fatalf("the model was called %d times for one question asked in two processes, want 1", n)
	}
}
