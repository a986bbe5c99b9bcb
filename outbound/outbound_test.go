package outbound_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/connectors/standard"
	"github.com/weftworks/weft/credential"
	"github.com/weftworks/weft/engine"
	"github.com/weftworks/weft/outbound"
	"github.com/weftworks/weft/step"
	"github.com/weftworks/weft/store/storesqlite"
)

type bundle struct {
	eng *engine.Engine
	st  *storesqlite.Store
	svc *outbound.Service
}

func setup(t *testing.T, cfg outbound.Config) *bundle {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	st, err := storesqlite.Open(ctx, filepath.Join(t.TempDir(), "weft.db"), storesqlite.Options{Synchronous: storesqlite.SyncNormal})
	if err != nil {
		t.Fatal(err)
	}
	reg := step.NewRegistry()
	if err := standard.Register(reg); err != nil {
		t.Fatal(err)
	}
	kr, err := credential.NewKeyring(credential.NewKey())
	if err != nil {
		t.Fatal(err)
	}
	vault, err := credential.New(credential.Config{Store: st, Keyring: kr})
	if err != nil {
		t.Fatal(err)
	}
	var svc *outbound.Service
	eng, err := engine.New(engine.Config{Store: st, Registry: reg, PollInterval: 20 * time.Millisecond,
		OnFinish:    func(ex weft.Execution) { svc.OnFinished(ex) },
		Connections: vault})
	if err != nil {
		t.Fatal(err)
	}
	cfg.Engine, cfg.Store = eng, st
	if svc, err = outbound.New(cfg); err != nil {
		t.Fatal(err)
	}
	// Subscription secrets are a source inside the vault, as in serve.
	if err := vault.AddSource(outbound.CredentialPrefix, svc); err != nil {
		t.Fatal(err)
	}
	if err := svc.Install(ctx); err != nil {
		t.Fatal(err)
	}
	for _, doc := range []string{"name: ok\nsteps:\n  - { id: a, uses: transform, with: { x: 1 } }\n",
		"name: boom\nsteps:\n  - { id: a, uses: fail, with: { message: broken } }\n"} {
		name := doc[6:strings.Index(doc, "\n")]
		if _, _, err := st.PutWorkflow(ctx, weft.WorkflowRecord{Name: name, Source: doc, Enabled: true}); err != nil {
			t.Fatal(err)
		}
	}
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); _ = eng.Run(ctx) }()
	go func() { defer wg.Done(); _ = svc.Run(ctx) }()
	t.Cleanup(func() { cancel(); wg.Wait(); st.Close() })
	return &bundle{eng: eng, st: st, svc: svc}
}

// TestDeliversSignedEvents: the endpoint checks each delivery with the
// Standard Webhooks reference library.
func TestDeliversSignedEvents(t *testing.T) {
	t.Parallel()
	got := make(chan map[string]any, 10)
	var secret atomic.Value
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		wh, _ := standardwebhooks.NewWebhook(secret.Load().(string))
		if err := wh.Verify(body, r.Header); err != nil {
			t.Errorf("reference library rejects the delivery: %v", err)
			w.WriteHeader(400)
			return
		}
		var ev map[string]any
		_ = json.Unmarshal(body, &ev)
		got <- ev
	}))
	t.Cleanup(srv.Close)
	b := setup(t, outbound.Config{})
	ctx := context.Background()
	sub, sec, err := b.svc.Create(ctx, outbound.Input{URL: srv.URL, Events: []string{outbound.EventFailed}})
	if err != nil {
		t.Fatal(err)
	}
	secret.Store(sec)
	for _, wf := range []string{"ok", "boom"} {
		if _, err := b.eng.Start(ctx, engine.StartRequest{Workflow: wf}); err != nil {
			t.Fatal(err)
		}
	}
	select {
	case ev := <-got:
		data, _ := ev["data"].(map[string]any)
		if ev["type"] != outbound.EventFailed || data["workflow"] != "boom" {
			t.Fatalf("event %v", ev)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no delivery")
	}
	select {
	case ev := <-got:
		t.Fatalf("unexpected second delivery %v (the filter is execution.failed)", ev)
	case <-time.After(300 * time.Millisecond):
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		s, _ := b.st.GetSubscription(ctx, sub.ID)
		if s.LastSuccessAt != nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the success was not recorded on the subscription")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestRetriesDeadLettersAndDisables: a failing endpoint is retried on the
// schedule, the delivery ends failed (the dead letter), and the endpoint
// that keeps failing is disabled.
func TestRetriesDeadLettersAndDisables(t *testing.T) {
	t.Parallel()
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		w.WriteHeader(503)
	}))
	t.Cleanup(srv.Close)
	// A clock that moves a millisecond per reading: the endpoint has been
	// failing for more than DisableAfter by its first failed delivery. (With
	// the real clock, a failure stored at a whole microsecond read as failing
	// for 0 ns, and the endpoint stayed enabled.)
	var tick atomic.Int64
	start := time.Now()
	now := func() time.Time { return start.Add(time.Duration(tick.Add(1)) * time.Millisecond) }
	b := setup(t, outbound.Config{Schedule: []string{"50ms", "50ms"}, DisableAfter: time.Nanosecond, Now: now})
	ctx := context.Background()
	sub, _, err := b.svc.Create(ctx, outbound.Input{URL: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.eng.Start(ctx, engine.StartRequest{Workflow: "ok"}); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(15 * time.Second)
	for {
		s, _ := b.st.GetSubscription(ctx, sub.ID)
		if !s.Enabled {
			if s.DisabledReason == "" || s.FailingSince == nil {
				t.Errorf("disabled without a reason: %+v", s)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("not disabled; %d calls", calls.Load())
		}
		time.Sleep(20 * time.Millisecond)
	}
	if n := calls.Load(); n != 3 {
		t.Errorf("%d attempts, want 3 (first + 2 retries)", n)
	}
	n, _ := b.st.CountExecutions(ctx, outbound.DeliveryWorkflow, weft.ExecutionFailed)
	if n != 1 {
		t.Errorf("%d failed deliveries, want 1 (the dead letter)", n)
	}
}
