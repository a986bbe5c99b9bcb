package webhook_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/weftworks/weft/credential"
	"github.com/weftworks/weft/trigger/webhook"
)

const hubspotDoc = `
name: contacts
on:
  webhook:
    path: hubspot
    preset: hubspot
    events: ["contact.*"]
steps:
  - id: keep
    uses: transform
    with: { scheme: "{{ trigger.verification.scheme }}" }
`

// TestHubSpotPreset: preset: hubspot checks the v3 signature over method,
// the public URL, body and timestamp with the hubspot-webhook credential,
// refuses a stale one, and filters by the first event's subscriptionType.
func TestHubSpotPreset(t *testing.T) {
	t.Parallel()
	const secret, public = "hs-app-secret", "https://weft.example.com"
	b := setup(t, webhook.Config{Secrets: fakeSecrets{"hubspot-webhook": {credential.Secret{ID: "k", Value: []byte(secret)}}}, PublicURL: public}, hubspotDoc)
	sign := func(body []byte, ts time.Time) http.Header {
		ms := strconv.FormatInt(ts.UnixMilli(), 10)
		m := hmac.New(sha256.New, []byte(secret))
		m.Write([]byte("POST" + public + "/hooks/hubspot" + string(body) + ms))
		h := http.Header{}
		h.Set("X-HubSpot-Request-Timestamp", ms)
		h.Set("X-HubSpot-Signature-v3", base64.StdEncoding.EncodeToString(m.Sum(nil)))
		return h
	}
	now := time.Now()
	created := []byte(`[{"eventId":1,"subscriptionType":"contact.creation","objectId":7}]`)
	if c, m, _ := send(t, b, "hubspot", created, sign(created, now)); c != 202 {
		t.Fatalf("signed contact.creation: %d %v", c, m)
	}
	if c, _, _ := send(t, b, "hubspot", created, sign(created, now.Add(-6*time.Minute))); c != 401 {
		t.Fatalf("6 minutes old: %d", c)
	}
	deal := []byte(`[{"eventId":2,"subscriptionType":"deal.creation","objectId":8}]`)
	if c, m, _ := send(t, b, "hubspot", deal, sign(deal, now)); c != 200 || m["ignored"] != true {
		t.Fatalf("deal event: %d %v", c, m)
	}
	if n := countExecutions(t, b, "contacts"); n != 1 {
		t.Fatalf("%d executions, want 1", n)
	}
}
