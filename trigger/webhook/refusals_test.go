package webhook_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/weftworks/weft/credential"
	"github.com/weftworks/weft/metrics"
	"github.com/weftworks/weft/store"
	"github.com/weftworks/weft/trigger/webhook"
)

const customBearerDoc = `
name: custom-bearer
on:
  webhook:
    path: custom
    verify: { scheme: bearer, credential: hooktok, header: X-Hook-Token }
steps:
  - id: echo
    uses: transform
    with: { headers: "{{ trigger.headers }}" }
`

// TestCustomVerifyHeaderIsRedacted: the header a verify scheme reads its
// credential from is redacted in the execution input and in the request
// kept for a rejected delivery, whatever its name.
func TestCustomVerifyHeaderIsRedacted(t *testing.T) {
	t.Parallel()
	const tok = "hooktok-secret-value-42"
	b := setup(t, webhook.Config{Secrets: fakeSecrets{"hooktok": {{ID: "t", Value: []byte(tok)}}}}, customBearerDoc)
	code, out, _ := send(t, b, "custom", []byte(`{"a":1}`), hdr("X-Hook-Token", tok))
	if code != http.StatusAccepted {
		t.Fatalf("status %d: %v", code, out)
	}
	ex, err := b.st.GetExecution(context.Background(), out["execution_id"].(string))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(ex.Input), tok) || !strings.Contains(string(ex.Input), `"x-hook-token":"[redacted]"`) {
		t.Fatalf("input = %s", ex.Input)
	}
	// A wrong token is kept for replay, redacted too.
	if code, _, _ := send(t, b, "custom", []byte(`{}`), hdr("X-Hook-Token", tok+"-wrong")); code != http.StatusUnauthorized {
		t.Fatalf("wrong token answered %d", code)
	}
	ds := deliveries(t, b, "custom-bearer", 2)
	for _, d := range ds {
		if strings.Contains(string(d.Request), tok) {
			t.Fatalf("delivery %s kept the token: %s", d.Outcome, d.Request)
		}
	}
}

// TestRefusalsAreBounded: requests to unknown paths are counted, not
// logged; other refusals are logged up to the per-source burst, with long
// strings clipped.
func TestRefusalsAreBounded(t *testing.T) {
	t.Parallel()
	m := metrics.New()
	b := setup(t, webhook.Config{Metrics: m, RefusalBurst: 5, RefusalRate: 0.001,
		Secrets: fakeSecrets{"hooktok": {credential.Secret{ID: "t", Value: []byte("x")}}}}, customBearerDoc)
	long := strings.Repeat("a", 20000)
	for range 30 {
		if code, _, _ := send(t, b, "nope/"+long, []byte(`{}`), hdr()); code != http.StatusNotFound {
			t.Fatalf("unknown path answered %d", code)
		}
		if code, _, _ := send(t, b, "no%20such%20path", []byte(`{}`), hdr()); code != http.StatusNotFound {
			t.Fatalf("a path no workflow can have answered %d", code)
		}
		if code, _, _ := send(t, b, "custom", []byte(`{}`), hdr("X-Hook-Token", long)); code != http.StatusUnauthorized {
			t.Fatalf("bad token answered %d", code)
		}
	}
	ds := deliveries(t, b, "custom-bearer", 5)
	time.Sleep(200 * time.Millisecond) // the recorder batches every 50 ms
	all, _, err := b.st.ListDeliveries(context.Background(), store.DeliveryFilter{Page: store.Page{Limit: 500}})
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 5 || len(ds) != 5 {
		t.Fatalf("delivery log holds %d rows (%d of the workflow), want the burst of 5 and nothing for unknown paths", len(all), len(ds))
	}
	for _, d := range all {
		if len(d.Path) > 300 || len(d.Reason) > 600 {
			t.Fatalf("row not clipped: path %d bytes, reason %d bytes", len(d.Path), len(d.Reason))
		}
	}
	if got := testutil.ToFloat64(m.WebhookRefusals.WithLabelValues(store.OutcomeNotListening)); got != 60 {
		t.Fatalf("weft_webhook_refusals_total{reason=not_listening} = %v, want 60", got)
	}
	if got := testutil.ToFloat64(m.WebhookRefusals.WithLabelValues(store.OutcomeRejected)); got != 30 {
		t.Fatalf("weft_webhook_refusals_total{reason=rejected} = %v, want 30", got)
	}
	if got := testutil.ToFloat64(m.LogSuppressed.WithLabelValues("delivery_log")); got != 25 {
		t.Fatalf("weft_log_suppressed_total{log=delivery_log} = %v, want 25", got)
	}
}
