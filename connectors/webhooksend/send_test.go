package webhooksend_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/weftworks/weft/connectors/webhooksend"
	"github.com/weftworks/weft/step"
)

var secret = "whsec_" + base64.StdEncoding.EncodeToString([]byte("outbound-test-secret-32-bytes!!!"))

type creds map[string]string

func (c creds) Get(_ context.Context, _, name string) (step.Credential, error) {
	s, ok := c[name]
	if !ok {
		return step.Credential{}, errors.New("no such credential")
	}
	return step.Credential{Name: name, Type: "webhook_secret", Data: map[string]string{"secret": s}}, nil
}

func (c creds) Authorize(context.Context, string, string, *http.Request) error { return nil }

func handler(t *testing.T) step.Handler {
	reg := step.NewRegistry()
	if err := webhooksend.Register(reg); err != nil {
		t.Fatal(err)
	}
	r, ok := reg.Lookup(webhooksend.Type)
	if !ok {
		t.Fatal("not registered")
	}
	return r.Handler
}

// TestSignedPerStandardWebhooks: what webhook.send sends, the Standard
// Webhooks reference library for Go verifies.
func TestSignedPerStandardWebhooks(t *testing.T) {
	t.Parallel()
	wh, _ := standardwebhooks.NewWebhook(secret)
	got := make(chan error, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		got <- wh.Verify(body, r.Header)
		if r.Header.Get("webhook-id") != "msg_fixed" || !strings.Contains(string(body), `"order.paid"`) {
			t.Errorf("headers %v body %s", r.Header, body)
		}
	}))
	t.Cleanup(srv.Close)
	res, err := handler(t).Run(context.Background(), &step.Request{Workflow: "w", IdempotencyKey: "e1/s/0",
		With: map[string]any{"url": srv.URL, "credential": "partner", "message_id": "msg_fixed", "payload": map[string]any{"type": "order.paid"}},
		Env:  &step.Env{HTTP: srv.Client(), Connections: step.CredentialsOnly(creds{"partner": secret})}})
	if err != nil || res.Suspend != nil {
		t.Fatalf("%+v %v", res, err)
	}
	if e := <-got; e != nil {
		t.Fatalf("reference library: %v", e)
	}
}

func TestRetriesOnScheduleThenFails(t *testing.T) {
	t.Parallel()
	var calls atomic.Int32
	var mu sync.Mutex
	var ids []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		mu.Lock()
		ids = append(ids, r.Header.Get("webhook-id"))
		mu.Unlock()
		w.WriteHeader(503)
	}))
	t.Cleanup(srv.Close)
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	h := handler(t)
	req := &step.Request{Workflow: "w", IdempotencyKey: "e1/send/-1",
		With: map[string]any{"url": srv.URL, "credential": "partner", "payload": "x", "schedule": []any{"5s", "5m", "30m"}},
		Env:  &step.Env{HTTP: srv.Client(), Connections: step.CredentialsOnly(creds{"partner": secret}), Now: func() time.Time { return now }}}
	for i, wait := range []time.Duration{5 * time.Second, 5 * time.Minute, 30 * time.Minute} {
		res, err := h.Run(context.Background(), req)
		if err != nil || res.Suspend == nil || !res.Suspend.Until.Equal(now.Add(wait)) {
			t.Fatalf("attempt %d: %+v %v, want a suspend for %s", i+1, res, err, wait)
		}
		req.State, _ = json.Marshal(res.Suspend.State)
		now = res.Suspend.Until
	}
	_, err := h.Run(context.Background(), req)
	if err == nil || !strings.Contains(err.Error(), "4 attempt(s)") {
		t.Fatalf("last attempt: %v", err)
	}
	mu.Lock()
	defer mu.Unlock()
	if calls.Load() != 4 || ids[0] != ids[3] || !strings.HasPrefix(ids[0], "msg_") {
		t.Errorf("calls %d ids %v: want 4 calls with one stable message id", calls.Load(), ids)
	}
}

func TestGoneStopsAtOnce(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(410) }))
	t.Cleanup(srv.Close)
	_, err := handler(t).Run(context.Background(), &step.Request{Workflow: "w",
		With: map[string]any{"url": srv.URL, "credential": "partner", "payload": 1},
		Env:  &step.Env{HTTP: srv.Client(), Connections: step.CredentialsOnly(creds{"partner": secret})}})
	if err == nil || !strings.Contains(err.Error(), "1 attempt(s)") {
		t.Fatalf("err = %v", err)
	}
}
