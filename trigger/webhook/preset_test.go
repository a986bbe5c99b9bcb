package webhook_test

import (
	"testing"
	"time"

	"github.com/weftworks/weft/trigger/webhook"
)

const presetDoc = `
name: paid
on:
  webhook:
    path: stripe/paid
    preset: stripe
    events: [payment_intent.succeeded, "invoice.*"]
steps:
  - id: keep
    uses: transform
    with: { id: "{{ trigger.body.id }}", scheme: "{{ trigger.verification.scheme }}" }
`

// TestStripePreset: preset: stripe verifies Stripe's signature with the
// stripe-webhook credential, dedupes by event id, and acknowledges events
// outside events: without starting anything.
func TestStripePreset(t *testing.T) {
	t.Parallel()
	b := setup(t, webhook.Config{Secrets: secrets}, presetDoc)
	now := time.Now()
	paid := []byte(`{"id":"evt_1","type":"payment_intent.succeeded","data":{"object":{"id":"pi_1"}}}`)
	if c, _, _ := send(t, b, "stripe/paid", paid, hdr("Stripe-Signature", stripeSigned(paid, "whsec_bogus", now))); c != 401 {
		t.Fatalf("wrong secret: %d", c)
	}
	c1, m1, _ := send(t, b, "stripe/paid", paid, hdr("Stripe-Signature", stripeSigned(paid, stripeSecret, now)))
	c2, m2, _ := send(t, b, "stripe/paid", paid, hdr("Stripe-Signature", stripeSigned(paid, stripeSecret, now)))
	if c1 != 202 || c2 != 200 || m1["execution_id"] != m2["execution_id"] {
		t.Fatalf("event and its redelivery: %d %v, %d %v", c1, m1, c2, m2)
	}
	inv := []byte(`{"id":"evt_2","type":"invoice.paid"}`)
	if c, _, _ := send(t, b, "stripe/paid", inv, hdr("Stripe-Signature", stripeSigned(inv, stripeSecret, now))); c != 202 {
		t.Fatalf("invoice.* event: %d", c)
	}
	other := []byte(`{"id":"evt_3","type":"customer.created"}`)
	c, m, _ := send(t, b, "stripe/paid", other, hdr("Stripe-Signature", stripeSigned(other, stripeSecret, now)))
	if c != 200 || m["ignored"] != true || m["event"] != "customer.created" {
		t.Fatalf("filtered event: %d %v", c, m)
	}
	if n := countExecutions(t, b, "paid"); n != 2 {
		t.Fatalf("%d executions, want 2", n)
	}
}
