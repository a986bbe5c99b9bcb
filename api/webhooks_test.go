package api

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/engine"
	"github.com/weftworks/weft/outbound"
	"github.com/weftworks/weft/store"
)

const hookDoc = `name: hook
on: { webhook: { path: hook } }
steps:
  - { id: keep, uses: transform, with: { v: "{{ trigger.body.v }}" } }
`

func TestWebhookDeliveriesAndReplay(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	if _, _, err := b.store.PutWorkflow(ctx, weft.WorkflowRecord{Name: "hook", Source: hookDoc, Enabled: true, WebhookPath: "hook"}); err != nil {
		t.Fatal(err)
	}
	started, err := b.engine.Start(ctx, engine.StartRequest{Workflow: "hook", Input: json.RawMessage(`{"body":{"v":1}}`), Trigger: weft.TriggerWebhook})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	ds := []store.WebhookDelivery{
		{ID: "D1", Workflow: "hook", Path: "hook", ReceivedAt: now, Method: "POST", Status: 202, Outcome: store.OutcomeAccepted, ExecutionID: started.Execution.ID},
		{ID: "D2", Workflow: "hook", Path: "hook", ReceivedAt: now, Method: "POST", Status: 401, Outcome: store.OutcomeRejected,
			Reason: "stripe: bad_signature", Request: json.RawMessage(`{"body":{"v":2}}`)},
		{ID: "D3", Workflow: "hook", Path: "hook", ReceivedAt: now, Method: "POST", Status: 413, Outcome: store.OutcomeTooLarge},
	}
	if err := b.store.RecordDeliveries(ctx, ds); err != nil {
		t.Fatal(err)
	}
	res := b.get(t, "/api/v1/webhooks/deliveries?workflow=hook&outcome=rejected")
	var page struct {
		Items []store.WebhookDelivery `json:"items"`
	}
	if err := json.Unmarshal(res.body, &page); err != nil || res.status != 200 || len(page.Items) != 1 || page.Items[0].Reason != "stripe: bad_signature" {
		t.Fatalf("%d %s", res.status, res.body)
	}
	if res := b.get(t, "/api/v1/webhooks/deliveries?outcome=nope"); res.status != 422 {
		t.Errorf("bad outcome: %d", res.status)
	}
	for _, tc := range []struct {
		id   string
		want string
	}{{"D1", `"v":1`}, {"D2", `"v":2`}} {
		res := b.do(t, req{method: "POST", path: "/api/v1/webhooks/deliveries/" + tc.id + "/replay"})
		if res.status != 202 {
			t.Fatalf("replay %s: %d %s", tc.id, res.status, res.body)
		}
		id := res.json(t)["execution_id"].(string)
		ex, err := b.engine.Wait(ctx, id)
		if err != nil || ex.Status != weft.ExecutionSucceeded || !strings.Contains(string(ex.Input), tc.want) ||
			!strings.Contains(string(ex.Input), `"delivery_id":"`+tc.id+`"`) {
			t.Errorf("replay of %s: %+v %v", tc.id, ex, err)
		}
	}
	if res := b.do(t, req{method: "POST", path: "/api/v1/webhooks/deliveries/D3/replay"}); res.status != 409 {
		t.Errorf("replay of a too-large delivery: %d %s", res.status, res.body)
	}
	if res := b.do(t, req{method: "POST", path: "/api/v1/webhooks/deliveries/D9/replay"}); res.status != 404 {
		t.Errorf("replay of a missing delivery: %d", res.status)
	}
	res = b.get(t, "/api/v1/webhooks/deliveries?outcome=replayed")
	if err := json.Unmarshal(res.body, &page); err != nil || len(page.Items) != 2 {
		t.Errorf("replays in the log: %s", res.body)
	}
}

func TestSubscriptionsAPI(t *testing.T) {
	t.Parallel()
	var svc *outbound.Service
	b := setup(t, bundleOpts{extra: func(cfg *Config) {
		var err error
		svc, err = outbound.New(outbound.Config{Engine: cfg.Engine, Store: cfg.Store})
		if err != nil {
			t.Fatal(err)
		}
		cfg.Subscriptions = svc
	}})
	res := b.do(t, req{method: "POST", path: "/api/v1/subscriptions", contentType: "application/json",
		body: `{"url":"https://partner.example/hooks","events":["execution.failed"],"workflows":["pay"]}`})
	if res.status != 201 {
		t.Fatalf("%d %s", res.status, res.body)
	}
	m := res.json(t)
	secret, _ := m["secret"].(string)
	if !strings.HasPrefix(secret, "whsec_") || m["id"] == nil || m["enabled"] != true {
		t.Fatalf("created: %s", res.body)
	}
	res = b.get(t, "/api/v1/subscriptions")
	if res.status != 200 || strings.Contains(string(res.body), secret) || !strings.Contains(string(res.body), "partner.example") {
		t.Fatalf("list leaks the secret or misses the subscription: %s", res.body)
	}
	for _, body := range []string{`{"url":"ftp://x"}`, `{"url":"https://x","events":["nope"]}`, `{"url":"https://x","secret":"plain"}`} {
		if res := b.do(t, req{method: "POST", path: "/api/v1/subscriptions", contentType: "application/json", body: body}); res.status != 422 {
			t.Errorf("%s: %d %s", body, res.status, res.body)
		}
	}
	if res := b.do(t, req{method: "DELETE", path: "/api/v1/subscriptions/" + m["id"].(string)}); res.status != 204 {
		t.Errorf("delete: %d", res.status)
	}
	if res := b.do(t, req{method: "DELETE", path: "/api/v1/subscriptions/" + m["id"].(string)}); res.status != 404 {
		t.Errorf("second delete: %d", res.status)
	}
}
