package webhook_test

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-github/v84/github"
	"github.com/slack-go/slack"
	stripewebhook "github.com/stripe/stripe-go/v85/webhook"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/credential"
	"github.com/weftworks/weft/store"
	"github.com/weftworks/weft/trigger/webhook"
)

// fakeSecrets stands in for the credential vault.
type fakeSecrets map[string][]credential.Secret

func (f fakeSecrets) WebhookSecrets(_ context.Context, name, _ string) ([]credential.Secret, error) {
	s, ok := f[name]
	if !ok {
		return nil, weft.ErrNotFound
	}
	return s, nil
}

const stripeSecret = "whsec_test_0123456789"

var secrets = fakeSecrets{
	"stripe-webhook": {{ID: "v1-retired", Value: []byte("whsec_old")}, {ID: "v2", Value: []byte(stripeSecret)}},
	"github-webhook": {{ID: "gh", Value: []byte("gh-secret")}},
	"slack-signing":  {{ID: "slack", Value: []byte("slack-signing-secret")}},
}

const stripeDoc = `
name: payments
on:
  webhook:
    path: stripe/payments
    verify: { scheme: stripe, credential: stripe-webhook }
    dedupe: auto
    max_body: 2048
steps:
  - id: keep
    uses: transform
    with: { id: "{{ trigger.body.id }}", scheme: "{{ trigger.verification.scheme }}" }
`

func stripeSigned(body []byte, secret string, ts time.Time) string {
	// Signed by stripe-go's own test helper.
	return stripewebhook.GenerateTestSignedPayload(&stripewebhook.UnsignedPayload{Payload: body, Secret: secret, Timestamp: ts}).Header
}

func send(t *testing.T, b *bundle, path string, body []byte, hdr http.Header) (int, map[string]any, http.Header) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, b.srv.URL+"/hooks/"+path, bytes.NewReader(body))
	req.Header = hdr.Clone()
	if req.Header.Get("Content-Type") == "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var m map[string]any
	_ = json.Unmarshal(raw, &m)
	return resp.StatusCode, m, resp.Header
}

func hdr(kv ...string) http.Header {
	h := http.Header{}
	for i := 0; i+1 < len(kv); i += 2 {
		h.Add(kv[i], kv[i+1])
	}
	return h
}

// deliveries waits until the log holds n deliveries of workflow and returns them.
func deliveries(t *testing.T, b *bundle, workflow string, n int) []store.WebhookDelivery {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		ds, _, err := b.st.ListDeliveries(context.Background(), store.DeliveryFilter{Workflow: workflow, Page: store.Page{Limit: 500}})
		if err != nil {
			t.Fatal(err)
		}
		if len(ds) >= n || time.Now().After(deadline) {
			if len(ds) != n {
				t.Fatalf("delivery log has %d deliveries of %s, want %d", len(ds), workflow, n)
			}
			return ds
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func countExecutions(t *testing.T, b *bundle, workflow string) int {
	t.Helper()
	n, err := b.st.CountExecutions(context.Background(), workflow)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestStripeVerifiedDedupedAndRecorded(t *testing.T) {
	t.Parallel()
	b := setup(t, webhook.Config{Secrets: secrets}, stripeDoc)
	body := []byte(`{"id":"evt_1NpQ","type":"invoice.paid"}`)
	now := time.Now()

	code, m, _ := send(t, b, "stripe/payments", body, hdr("Stripe-Signature", stripeSigned(body, stripeSecret, now)))
	if code != 202 {
		t.Fatalf("signed delivery: %d %v", code, m)
	}
	first := m["execution_id"].(string)
	ex, err := b.eng.Wait(context.Background(), first)
	if err != nil || ex.Status != weft.ExecutionSucceeded {
		t.Fatalf("execution: %+v %v", ex, err)
	}
	var in struct {
		Verification struct{ Scheme, KeyID string } `json:"verification"`
	}
	_ = json.Unmarshal(ex.Input, &in)
	if !strings.Contains(string(ex.Input), `"verification":{"scheme":"stripe","key_id":"v2"`) {
		t.Errorf("input does not record the verification: %s", ex.Input)
	}

	// Stripe redelivers the same event (new timestamp, new signature).
	code, m, _ = send(t, b, "stripe/payments", body, hdr("Stripe-Signature", stripeSigned(body, stripeSecret, now.Add(time.Second))))
	if code != 200 || m["execution_id"] != first || m["duplicate"] != true {
		t.Fatalf("redelivery: %d %v, want 200 with the first execution %s", code, m, first)
	}

	tampered := bytes.Replace(body, []byte("paid"), []byte("void"), 1)
	big := []byte(`{"id":"evt_big","pad":"` + strings.Repeat("x", 4096) + `"}`)
	dup := hdr("Stripe-Signature", stripeSigned(body, stripeSecret, now))
	dup.Add("Stripe-Signature", stripeSigned(body, "whsec_attacker", now))
	for _, tc := range []struct {
		name   string
		body   []byte
		h      http.Header
		status int
		reason string
	}{
		{"tampered body", tampered, hdr("Stripe-Signature", stripeSigned(body, stripeSecret, now)), 401, "bad_signature"},
		{"wrong secret", body, hdr("Stripe-Signature", stripeSigned(body, "whsec_wrong", now)), 401, "bad_signature"},
		{"stale timestamp", body, hdr("Stripe-Signature", stripeSigned(body, stripeSecret, now.Add(-10*time.Minute))), 401, "stale_timestamp"},
		{"future timestamp", body, hdr("Stripe-Signature", stripeSigned(body, stripeSecret, now.Add(10*time.Minute))), 401, "future_timestamp"},
		{"missing header", body, hdr(), 401, "missing_header"},
		{"duplicated header", body, dup, 401, "duplicate_header"},
		{"truncated body", body[:len(body)-4], hdr("Stripe-Signature", stripeSigned(body, stripeSecret, now)), 401, "bad_signature"},
		{"oversized body", big, hdr("Stripe-Signature", stripeSigned(big, stripeSecret, now)), 413, "over the limit"},
	} {
		code, m, _ := send(t, b, "stripe/payments", tc.body, tc.h)
		if code != tc.status {
			t.Errorf("%s: status %d, want %d (%v)", tc.name, code, tc.status, m)
		}
		if code == 401 {
			e, _ := m["error"].(map[string]any)
			if e["message"] != "the request could not be verified" {
				t.Errorf("%s: the caller learns %v; want the generic message", tc.name, e)
			}
		}
	}
	if n := countExecutions(t, b, "payments"); n != 1 {
		t.Errorf("%d executions, want 1", n)
	}
	ds := deliveries(t, b, "payments", 10)
	outcomes := map[string]int{}
	for _, d := range ds {
		outcomes[d.Outcome]++
		if strings.Contains(d.Reason, stripeSecret) || strings.Contains(string(d.Request), stripeSecret) {
			t.Errorf("delivery %s leaks the secret", d.ID)
		}
		if d.Outcome == store.OutcomeAccepted && (d.Scheme != "stripe" || d.KeyID != "v2" || d.ExecutionID != first || d.DedupeKey != "stripe:evt_1NpQ") {
			t.Errorf("accepted delivery: %+v", d)
		}
		if d.Outcome == store.OutcomeDuplicate && d.ExecutionID != first {
			t.Errorf("duplicate delivery: %+v", d)
		}
		if d.SourceIP != "127.0.0.1" {
			t.Errorf("source ip %q", d.SourceIP)
		}
	}
	if outcomes["accepted"] != 1 || outcomes["duplicate"] != 1 || outcomes["rejected"] != 7 || outcomes["too_large"] != 1 {
		t.Errorf("outcomes = %v", outcomes)
	}
	reasons := ""
	for _, d := range ds {
		reasons += d.Reason + "\n"
	}
	for _, want := range []string{"bad_signature", "stale_timestamp", "future_timestamp", "missing_header", "duplicate_header"} {
		if !strings.Contains(reasons, want) {
			t.Errorf("no delivery records %s:\n%s", want, reasons)
		}
	}
}

func TestTruncatedBodyIsRecorded(t *testing.T) {
	t.Parallel()
	b := setup(t, webhook.Config{Secrets: secrets}, stripeDoc)
	// A body that ends before its Content-Length (the caller's connection
	// broke): 400, and the log says why.
	req := httptest.NewRequest(http.MethodPost, "/hooks/stripe/payments", io.MultiReader(strings.NewReader(`{"id":"evt`), errReader{}))
	req.ContentLength = 100
	rec := httptest.NewRecorder()
	b.h.ServeHTTP(rec, req)
	if rec.Code != 400 {
		t.Fatalf("status %d", rec.Code)
	}
	ds := deliveries(t, b, "payments", 1)
	if ds[0].Outcome != store.OutcomeBadRequest || !strings.Contains(ds[0].Reason, "truncated") {
		t.Errorf("delivery: %+v", ds[0])
	}
}

type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, io.ErrUnexpectedEOF }

func TestGitHubDeliveryIDDedupe(t *testing.T) {
	t.Parallel()
	doc := strings.NewReplacer("payments", "repo-events", "stripe/payments", "gh/push", "scheme: stripe, credential: stripe-webhook", "scheme: github, credential: github-webhook").Replace(stripeDoc)
	b := setup(t, webhook.Config{Secrets: secrets}, doc)
	body := []byte(`{"ref":"refs/heads/main"}`)
	m := hmac.New(sha256.New, []byte("gh-secret"))
	m.Write(body)
	sig := "sha256=" + hex.EncodeToString(m.Sum(nil))
	// The signature is what go-github's ValidateSignature accepts.
	if err := github.ValidateSignature(sig, body, []byte("gh-secret")); err != nil {
		t.Fatal(err)
	}
	h := hdr("X-Hub-Signature-256", sig, "X-GitHub-Delivery", "72d3162e-cc78-11e3-81ab-4c9367dc0958", "X-GitHub-Event", "push")
	c1, m1, _ := send(t, b, "gh/push", body, h)
	c2, m2, _ := send(t, b, "gh/push", body, h)
	if c1 != 202 || c2 != 200 || m1["execution_id"] != m2["execution_id"] {
		t.Fatalf("first %d %v, redelivery %d %v", c1, m1, c2, m2)
	}
	h.Set("X-GitHub-Delivery", "another")
	if c, _, _ := send(t, b, "gh/push", body, h); c != 202 {
		t.Fatalf("new delivery id: %d", c)
	}
}

func TestSlackChallengeAndEventID(t *testing.T) {
	t.Parallel()
	doc := strings.NewReplacer("payments", "slack-events", "stripe/payments", "slack", "scheme: stripe, credential: stripe-webhook", "scheme: slack, credential: slack-signing").Replace(stripeDoc)
	b := setup(t, webhook.Config{Secrets: secrets}, doc)
	sign := func(body []byte) http.Header {
		ts := strconv.FormatInt(time.Now().Unix(), 10)
		m := hmac.New(sha256.New, []byte("slack-signing-secret"))
		m.Write([]byte("v0:" + ts + ":"))
		m.Write(body)
		h := hdr("X-Slack-Request-Timestamp", ts, "X-Slack-Signature", "v0="+hex.EncodeToString(m.Sum(nil)))
		sv, err := slack.NewSecretsVerifier(h, "slack-signing-secret") // slack-go agrees
		if err != nil {
			t.Fatal(err)
		}
		sv.Write(body)
		if err := sv.Ensure(); err != nil {
			t.Fatal(err)
		}
		return h
	}
	challenge := []byte(`{"token":"x","challenge":"3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P","type":"url_verification"}`)
	code, m, _ := send(t, b, "slack", challenge, sign(challenge))
	if code != 200 || m["challenge"] != "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P" {
		t.Fatalf("challenge: %d %v", code, m)
	}
	// An unsigned challenge gets nothing.
	if code, _, _ := send(t, b, "slack", challenge, hdr()); code != 401 {
		t.Fatalf("unsigned challenge: %d", code)
	}
	ev := []byte(`{"type":"event_callback","event_id":"Ev0PV52K25","event":{"type":"app_mention"}}`)
	c1, m1, _ := send(t, b, "slack", ev, sign(ev))
	c2, m2, _ := send(t, b, "slack", ev, sign(ev))
	if c1 != 202 || c2 != 200 || m1["execution_id"] != m2["execution_id"] {
		t.Fatalf("event: %d %v, retry: %d %v", c1, m1, c2, m2)
	}
	if n := countExecutions(t, b, "slack-events"); n != 1 {
		t.Errorf("%d executions, want 1 (the challenge starts none)", n)
	}
}

const guardedDoc = `
name: guarded
on:
  webhook:
    path: guarded
    allow_ips: [203.0.113.0/24, "2001:db8::/32"]
    rate_limit: { per_second: 1, burst: 2 }
    dedupe: "{{ trigger.body.order }}"
steps:
  - id: keep
    uses: transform
    with: { order: "{{ trigger.body.order }}" }
`

func TestAllowIPsTrustedProxiesRateLimitAndExpressionDedupe(t *testing.T) {
	t.Parallel()
	proxy := netip.MustParsePrefix("10.0.0.0/8")
	b := setup(t, webhook.Config{TrustedProxies: []netip.Prefix{proxy}}, guardedDoc)
	call := func(remote, xff, body string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(http.MethodPost, "/hooks/guarded", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.RemoteAddr = remote
		if xff != "" {
			req.Header.Set("X-Forwarded-For", xff)
		}
		rec := httptest.NewRecorder()
		b.h.ServeHTTP(rec, req)
		return rec
	}
	for _, tc := range []struct {
		remote, xff string
		want        int
	}{
		{"198.51.100.1:5000", "", 403},                      // not allowed
		{"198.51.100.1:5000", "203.0.113.9", 403},           // an untrusted peer's XFF is ignored
		{"10.1.2.3:5000", "198.51.100.1", 403},              // trusted proxy, disallowed client
		{"10.1.2.3:5000", "203.0.113.9, 10.9.9.9", 202},     // client behind two of our proxies
		{"10.1.2.3:5000", "198.51.100.1, 203.0.113.9", 202}, // the right-most untrusted address counts
		{"[2001:db8::7]:5000", "", 429},                     // allowed, but the burst of 2 is spent
	} {
		rec := call(tc.remote, tc.xff, `{"order":"o-`+tc.remote+tc.xff+`"}`)
		if rec.Code != tc.want {
			t.Errorf("%s xff=%q: %d, want %d (%s)", tc.remote, tc.xff, rec.Code, tc.want, rec.Body)
		}
		if tc.want == 429 {
			if ra, err := strconv.Atoi(rec.Header().Get("Retry-After")); err != nil || ra < 1 {
				t.Errorf("Retry-After = %q", rec.Header().Get("Retry-After"))
			}
		}
	}
	time.Sleep(1100 * time.Millisecond)
	first := call("203.0.113.5:1", "", `{"order":"A-1"}`)
	time.Sleep(1100 * time.Millisecond)
	second := call("203.0.113.5:1", "", `{"order":"A-1"}`)
	if first.Code != 202 || second.Code != 200 {
		t.Fatalf("expression dedupe: %d %s / %d %s", first.Code, first.Body, second.Code, second.Body)
	}
	ds := deliveries(t, b, "guarded", 8)
	ips := map[string]bool{}
	for _, d := range ds {
		ips[d.SourceIP] = true
		if d.Outcome == store.OutcomeDuplicate && d.DedupeKey != "expr:A-1" {
			t.Errorf("dedupe key %q", d.DedupeKey)
		}
	}
	for _, ip := range []string{"198.51.100.1", "203.0.113.9", "2001:db8::7"} {
		if !ips[ip] {
			t.Errorf("no delivery from %s in %v", ip, ips)
		}
	}
}
