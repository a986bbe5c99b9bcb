package engine_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/engine"
	"github.com/weftworks/weft/step"
)

func TestCachedStepHitsOnRepeat(t *testing.T) {
	t.Parallel()
	b := setup(t)
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"rate":1.1,"q":"` + r.URL.Query().Get("q") + `"}`))
	}))
	t.Cleanup(srv.Close)
	b.put(t, `name: cached
steps:
  - id: fetch
    uses: http.request
    cache: { ttl: 1h }
    with:
      url: "`+srv.URL+`/rate?q={{ trigger.q }}"
  - id: keyed
    uses: http.request
    cache: { ttl: 1h, key: "{{ trigger.customer }}" }
    with:
      url: "`+srv.URL+`/other?q={{ trigger.q }}"
`)
	ex, runs := b.run(t, "cached", `{"q":"eur","customer":"c1"}`)
	if ex.Status != weft.ExecutionSucceeded || calls.Load() != 2 {
		t.Fatalf("first run: %s, %d calls", ex.Status, calls.Load())
	}
	if h := runs["fetch"].History; len(h) != 1 || h[0].Outcome != "succeeded" {
		t.Fatalf("first history = %+v", h)
	}
	// Same inputs and same key: both steps come from the cache.
	ex, runs = b.run(t, "cached", `{"q":"eur","customer":"c1"}`)
	if ex.Status != weft.ExecutionSucceeded || calls.Load() != 2 {
		t.Fatalf("repeat: %s, %d calls (want 2: all cached)", ex.Status, calls.Load())
	}
	for _, id := range []string{"fetch", "keyed"} {
		h := runs[id].History
		if len(h) != 1 || h[0].Outcome != "cached" {
			t.Fatalf("%s history = %+v, want one cached entry", id, h)
		}
		if !strings.Contains(string(runs[id].Output), `"q":"eur"`) {
			t.Fatalf("%s cached output = %s", id, runs[id].Output)
		}
	}
	// Other inputs miss the default key; the custom key still hits.
	b.run(t, "cached", `{"q":"usd","customer":"c1"}`)
	if got := calls.Load(); got != 3 {
		t.Fatalf("calls = %d, want 3 (fetch misses, keyed hits)", got)
	}
}

func TestHistoryRecordsRetriesAndRedactsSecrets(t *testing.T) {
	t.Parallel()
	const secret = "sk_live_planted_secret_value"
	red := redactor{secret}
	b := setup(t, func(c *engine.Config) { c.Redactor = red })
	var n atomic.Int32
	if err := b.reg.Add(step.Spec{Type: "test.flaky"}, step.HandlerFunc(func(ctx context.Context, req *step.Request) (step.Result, error) {
		if n.Add(1) == 1 {
			return step.Result{}, step.Retryable(errors.New("upstream said "+secret), 10*time.Millisecond)
		}
		return step.Result{Output: map[string]any{"token": secret, "ok": true}}, nil
	})); err != nil {
		t.Fatal(err)
	}
	b.put(t, `name: flaky
steps:
  - id: a
    uses: test.flaky
    retry: { max_attempts: 3, initial: 10ms, max: 20ms }
`)
	ex, runs := b.run(t, "flaky", `{}`)
	if ex.Status != weft.ExecutionSucceeded {
		t.Fatalf("status %s", ex.Status)
	}
	h := runs["a"].History
	if len(h) != 2 || h[0].Outcome != "retry" || h[0].Reason != "retry_after" || h[1].Outcome != "succeeded" {
		t.Fatalf("history = %+v", h)
	}
	if strings.Contains(h[0].Error, secret) || !strings.Contains(h[0].Error, "[redacted]") {
		t.Fatalf("history error not redacted: %q", h[0].Error)
	}
	if strings.Contains(string(runs["a"].Output), secret) || strings.Contains(string(ex.Output), secret) {
		t.Fatalf("output not redacted: %s / %s", runs["a"].Output, ex.Output)
	}
}

type redactor struct{ secret string }

func (r redactor) String(s string) string { return strings.ReplaceAll(s, r.secret, "[redacted]") }
func (r redactor) Bytes(b []byte) []byte  { return []byte(r.String(string(b))) }
