package outside_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/weftworks/weft"
)

// TestConnectionRetryDefaults: a step without `retry:` inherits its
// connection's retry defaults; a step with `retry:` keeps its own. The
// connection's idempotency header name is used for a POST.
func TestConnectionRetryDefaults(t *testing.T) {
	t.Parallel()
	b := setup(t)
	var calls atomic.Int32
	var mu sync.Mutex
	var idem []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		mu.Lock()
		idem = append(idem, r.Header.Get("X-Request-Key")+"|"+r.Header.Get("Idempotency-Key"))
		mu.Unlock()
		w.WriteHeader(http.StatusServiceUnavailable)
	}))
	t.Cleanup(srv.Close)
	if code, body := b.apiPut(t, "/api/v1/credentials/flaky", `{"type":"none","data":{},
		"retry":{"max_attempts":2,"initial":"10ms","max":"20ms","idempotency_header":"X-Request-Key"}}`); code != 200 {
		t.Fatalf("put credential: %d %s", code, body)
	}
	for _, tc := range []struct {
		name, retry string
		want        int32
	}{
		{"inherits", "", 2},
		{"own", "    retry: {max_attempts: 4, initial: 10ms, max: 20ms}\n", 4},
	} {
		calls.Store(0)
		mu.Lock()
		idem = nil
		mu.Unlock()
		wf := "retry-" + tc.name
		b.put(t, "name: "+wf+"\nsteps:\n  - id: call\n    uses: http.request\n"+tc.retry+
			"    with:\n      method: POST\n      json: {a: 1}\n      credential: flaky\n      url: "+srv.URL+"\n")
		id := b.start(t, wf)
		ex := b.wait(t, id)
		if ex.Status != weft.ExecutionFailed {
			t.Fatalf("%s: status %s, want failed", tc.name, ex.Status)
		}
		if n := calls.Load(); n != tc.want {
			t.Fatalf("%s: the server saw %d attempts, want %d", tc.name, n, tc.want)
		}
		runs, err := b.st.GetStepRuns(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		if runs[0].Attempts != int(tc.want) {
			t.Fatalf("%s: step run records %d attempts, want %d", tc.name, runs[0].Attempts, tc.want)
		}
		mu.Lock()
		for _, h := range idem {
			// The connection's header carries the step's stable key; the
			// default header is not sent.
			if h != weft.StepRunID(id, "call", weft.WholeStep)+"|" {
				t.Errorf("%s: X-Request-Key|Idempotency-Key = %q, want the step run's key in X-Request-Key only", tc.name, h)
			}
		}
		mu.Unlock()
	}
}

// TestCircuitBreakerVisible: a connection with retry.breaker 2 against a
// server that always fails opens the host's circuit; the third attempt
// fails fast without reaching the server, and the open circuit shows in
// /metrics and GET /api/v1/connections.
func TestCircuitBreakerVisible(t *testing.T) {
	t.Parallel()
	b := setup(t)
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		w.WriteHeader(http.StatusBadGateway)
	}))
	t.Cleanup(srv.Close)
	host := strings.TrimPrefix(srv.URL, "http://")
	if code, body := b.apiPut(t, "/api/v1/credentials/down", `{"type":"none","data":{},
		"retry":{"max_attempts":3,"initial":"10ms","max":"20ms","breaker":2}}`); code != 200 {
		t.Fatalf("put credential: %d %s", code, body)
	}
	b.put(t, "name: breaker\nsteps:\n  - id: call\n    uses: http.request\n    with:\n      connection: down\n      url: "+srv.URL+"\n")
	id := b.start(t, "breaker")
	if ex := b.wait(t, id); ex.Status != weft.ExecutionFailed {
		t.Fatalf("status %s, want failed", ex.Status)
	}
	if n := calls.Load(); n != 2 {
		t.Fatalf("the server saw %d requests, want 2 (the third attempt meets the open circuit)", n)
	}
	runs, _ := b.st.GetStepRuns(context.Background(), id)
	if runs[0].Error == nil || runs[0].Error.Code != "circuit_open" {
		t.Fatalf("step error %+v, want circuit_open", runs[0].Error)
	}

	metricsText := b.apiGet(t, "/metrics")
	for _, want := range []string{
		`weft_circuit_breaker_state{host="` + host + `"} 2`,
		`weft_circuit_breaker_opens_total{host="` + host + `"} 1`,
	} {
		if !strings.Contains(metricsText, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	var conns struct {
		Items []struct {
			Name     string            `json:"name"`
			Breakers map[string]string `json:"breakers"`
		} `json:"items"`
	}
	if err := json.Unmarshal([]byte(b.apiGet(t, "/api/v1/connections")), &conns); err != nil {
		t.Fatal(err)
	}
	if len(conns.Items) != 1 || conns.Items[0].Name != "down" || conns.Items[0].Breakers[host] != "open" {
		t.Fatalf("connections = %+v, want down with %s open", conns.Items, host)
	}
}
