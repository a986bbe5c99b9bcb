package e2e

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	stripewebhook "github.com/stripe/stripe-go/v85/webhook"

	"github.com/weftworks/weft/connectors/apps/github"
	"github.com/weftworks/weft/connectors/apps/stripe"
)

const paidWorkflow = `# apply %d
name: paid
on:
  webhook:
    path: stripe-paid
    preset: stripe
    events: [%[2]s]
    register: { connection: stripe, events: [%[2]s] }
steps:
  - id: note
    uses: transform
    with: { type: "{{ trigger.body.type }}" }
`

const issuesWorkflow = `# apply %d
name: issues
on:
  webhook:
    path: gh-issues
    preset: github
    register: { connection: gh, events: [%s], repo: octo-org/hello }
steps:
  - id: note
    uses: transform
    with: { action: "{{ trigger.body.action }}" }
`

type registration struct {
	Workflow   string   `json:"workflow"`
	Provider   string   `json:"provider"`
	State      string   `json:"state"`
	EndpointID string   `json:"endpoint_id"`
	URL        string   `json:"url"`
	Events     []string `json:"events"`
	LastError  string   `json:"last_error"`
}

func registrations(t *testing.T, s *server) map[string]registration {
	t.Helper()
	var out struct {
		Items []registration `json:"items"`
	}
	if code, err := s.api("GET", "/api/v1/webhooks/registrations", nil, &out); err != nil || code != 200 {
		t.Fatalf("GET /api/v1/webhooks/registrations: %d %v", code, err)
	}
	m := map[string]registration{}
	for _, r := range out.Items {
		m[r.Workflow] = r
	}
	return m
}

func mustApply(t *testing.T, s *server, name, doc string) {
	t.Helper()
	if code, err := s.apiYAML("PUT", "/api/v1/workflows/"+name, doc); err != nil || code/100 != 2 {
		t.Fatalf("applying %s: %d %v", name, code, err)
	}
}

// post sends a webhook delivery and returns the status.
func post(t *testing.T, s *server, path string, body []byte, hdr map[string]string) int {
	t.Helper()
	req, _ := http.NewRequest("POST", s.url+"/hooks/"+path, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func stripeSig(body []byte, secret string) string {
	return stripewebhook.GenerateTestSignedPayload(&stripewebhook.UnsignedPayload{Payload: body, Secret: secret, Timestamp: time.Now()}).Header
}

func githubSig(body []byte, secret string) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// TestRegisterWebhooksAtProvidersUnderServe applies a Stripe and a GitHub
// workflow with on.webhook.register 20 times each (every apply a new
// version) to weft serve with --public-url: each provider fake ends up with
// exactly one endpoint for the workflow's public URL; deliveries signed with
// the secret the provider holds are accepted and others refused; changing
// the events updates the endpoint in place; disabling one workflow and
// deleting the other removes their endpoints.
func TestRegisterWebhooksAtProvidersUnderServe(t *testing.T) {
	t.Parallel()
	sf, gf := stripe.NewFake(t), github.NewFake(t)
	const public = "https://weft.example.test"
	s := startServer(t, nil, "--data", t.TempDir(), "--public-url", public)
	putCredential(t, s, "stripe", map[string]any{"type": "bearer", "data": map[string]any{"token": stripe.Key}, "base_url": sf.URL})
	putCredential(t, s, "gh", map[string]any{"type": "bearer", "data": map[string]any{"token": github.Token}, "base_url": gf.URL})

	for i := range 20 {
		mustApply(t, s, "paid", fmt.Sprintf(paidWorkflow, i, "payment_intent.succeeded"))
		mustApply(t, s, "issues", fmt.Sprintf(issuesWorkflow, i, "issues"))
		time.Sleep(50 * time.Millisecond)
	}
	eventually(t, 20*time.Second, "both registered", func() bool {
		r := registrations(t, s)
		return r["paid"].State == "registered" && r["issues"].State == "registered"
	})
	time.Sleep(2500 * time.Millisecond) // more reconcile ticks must not add endpoints
	eps, hooks := sf.Endpoints(), gf.Hooks()
	if len(eps) != 1 || eps[0].URL != public+"/hooks/stripe-paid" || eps[0].Metadata["weft_workflow"] != "paid" ||
		!slices.Equal(eps[0].EnabledEvents, []string{"payment_intent.succeeded"}) {
		t.Fatalf("stripe endpoints = %+v", eps)
	}
	if len(hooks) != 1 || hooks[0].Config["url"] != public+"/hooks/gh-issues" || hooks[0].Repo != "octo-org/hello" || !slices.Equal(hooks[0].Events, []string{"issues"}) {
		t.Fatalf("github hooks = %+v", hooks)
	}
	reg := registrations(t, s)
	if reg["paid"].EndpointID != eps[0].ID || reg["paid"].URL != public+"/hooks/stripe-paid" || reg["issues"].EndpointID != fmt.Sprint(hooks[0].ID) {
		t.Fatalf("registrations = %+v", reg)
	}

	// Deliveries: the secret the provider holds verifies, another does not.
	body := []byte(`{"id":"evt_1","type":"payment_intent.succeeded","data":{"object":{}}}`)
	if c := post(t, s, "stripe-paid", body, map[string]string{"Stripe-Signature": stripeSig(body, eps[0].Secret)}); c != 202 {
		t.Fatalf("delivery signed with the registered secret: %d", c)
	}
	if c := post(t, s, "stripe-paid", body, map[string]string{"Stripe-Signature": stripeSig(body, "whsec_wrong")}); c != 401 {
		t.Fatalf("delivery signed with another secret: %d", c)
	}
	gsecret, _ := hooks[0].Config["secret"].(string)
	gbody := []byte(`{"action":"opened","issue":{"number":1}}`)
	gh := func(secret string) map[string]string {
		return map[string]string{"X-Hub-Signature-256": githubSig(gbody, secret), "X-GitHub-Event": "issues", "X-GitHub-Delivery": fmt.Sprint(time.Now().UnixNano())}
	}
	if c := post(t, s, "gh-issues", gbody, gh(gsecret)); len(gsecret) < 32 || c != 202 {
		t.Fatalf("github delivery signed with the registered secret (%d chars): %d", len(gsecret), c)
	}
	if c := post(t, s, "gh-issues", gbody, gh("wrong")); c != 401 {
		t.Fatalf("github delivery signed with another secret: %d", c)
	}

	// Events change: updated in place, same endpoint, same secret.
	mustApply(t, s, "paid", fmt.Sprintf(paidWorkflow, 99, "payment_intent.succeeded, charge.refunded"))
	mustApply(t, s, "issues", fmt.Sprintf(issuesWorkflow, 99, "issues, issue_comment"))
	eventually(t, 20*time.Second, "events updated", func() bool {
		e, h := sf.Endpoints(), gf.Hooks()
		return len(e) == 1 && len(e[0].EnabledEvents) == 2 && len(h) == 1 && len(h[0].Events) == 2
	})
	if e := sf.Endpoints(); e[0].ID != eps[0].ID {
		t.Fatalf("the endpoint was replaced, not updated: %s then %s", eps[0].ID, e[0].ID)
	}
	if h := gf.Hooks(); h[0].ID != hooks[0].ID || h[0].Config["secret"] != gsecret {
		t.Fatalf("the hook was replaced or its secret changed: %+v", h[0])
	}
	body2 := []byte(`{"id":"evt_2","type":"charge.refunded","data":{"object":{}}}`)
	if c := post(t, s, "stripe-paid", body2, map[string]string{"Stripe-Signature": stripeSig(body2, eps[0].Secret)}); c != 202 {
		t.Fatalf("delivery after the update: %d", c)
	}

	// A lost secret (the credential deleted by hand) re-keys the endpoint:
	// Stripe's is replaced, since Stripe shows a secret only on create.
	if code, err := s.api("DELETE", "/api/v1/credentials/registered-paid", nil, nil); err != nil || code/100 != 2 {
		t.Fatalf("deleting the secret: %d %v", code, err)
	}
	eventually(t, 20*time.Second, "a new endpoint with a new secret", func() bool {
		e := sf.Endpoints()
		return len(e) == 1 && e[0].ID != eps[0].ID && registrations(t, s)["paid"].EndpointID == e[0].ID
	})
	body3 := []byte(`{"id":"evt_3","type":"charge.refunded","data":{"object":{}}}`)
	if c := post(t, s, "stripe-paid", body3, map[string]string{"Stripe-Signature": stripeSig(body3, sf.Endpoints()[0].Secret)}); c != 202 {
		t.Fatalf("delivery after re-keying: %d", c)
	}

	// Disable one, delete the other: both endpoints go.
	if code, err := s.api("POST", "/api/v1/workflows/paid/disable", nil, nil); err != nil || code/100 != 2 {
		t.Fatalf("disable: %d %v", code, err)
	}
	if code, err := s.api("DELETE", "/api/v1/workflows/issues", nil, nil); err != nil || code/100 != 2 {
		t.Fatalf("delete: %d %v", code, err)
	}
	eventually(t, 20*time.Second, "endpoints removed", func() bool {
		return len(sf.Endpoints()) == 0 && len(gf.Hooks()) == 0 && len(registrations(t, s)) == 0
	})
	// The stored signing secrets went with them.
	for _, name := range []string{"registered-paid", "registered-issues"} {
		if code, _ := s.api("GET", "/api/v1/credentials/"+name, nil, nil); code != 404 {
			t.Fatalf("credential %s after removal: %d", name, code)
		}
	}
	// Enabling again registers again, once.
	if code, err := s.api("POST", "/api/v1/workflows/paid/enable", nil, nil); err != nil || code/100 != 2 {
		t.Fatalf("enable: %d %v", code, err)
	}
	eventually(t, 20*time.Second, "registered again", func() bool { return registrations(t, s)["paid"].State == "registered" })
	if e := sf.Endpoints(); len(e) != 1 {
		t.Fatalf("after enabling again: %d endpoints", len(e))
	}
}

// TestRegisterWithoutPublicURLIsAnError: a workflow with register on a
// server without --public-url shows state error saying what to set, and
// the server keeps serving.
func TestRegisterWithoutPublicURLIsAnError(t *testing.T) {
	t.Parallel()
	sf := stripe.NewFake(t)
	s := startServer(t, nil, "--data", t.TempDir())
	putCredential(t, s, "stripe", map[string]any{"type": "bearer", "data": map[string]any{"token": stripe.Key}, "base_url": sf.URL})
	mustApply(t, s, "paid", fmt.Sprintf(paidWorkflow, 0, "payment_intent.succeeded"))
	eventually(t, 20*time.Second, "state error", func() bool { return registrations(t, s)["paid"].State == "error" })
	if r := registrations(t, s)["paid"]; !strings.Contains(r.LastError, "--public-url") {
		t.Fatalf("last_error = %q", r.LastError)
	}
	if len(sf.Endpoints()) != 0 {
		t.Fatal("an endpoint was created without a public URL")
	}
	if code, _ := s.api("GET", "/api/v1/workflows", nil, nil); code != 200 {
		t.Fatalf("server after the error: %d", code)
	}
}

// TestRegisterFailingProviderShowsError: a provider that refuses the key
// leaves state error with its message, retried with backoff, and the fix
// (a working key) registers without a restart.
func TestRegisterFailingProviderShowsError(t *testing.T) {
	t.Parallel()
	sf := stripe.NewFake(t)
	s := startServer(t, nil, "--data", t.TempDir(), "--public-url", "https://weft.example.test")
	putCredential(t, s, "stripe", map[string]any{"type": "bearer", "data": map[string]any{"token": "sk_test_wrong"}, "base_url": sf.URL})
	mustApply(t, s, "paid", fmt.Sprintf(paidWorkflow, 0, "payment_intent.succeeded"))
	eventually(t, 20*time.Second, "state error", func() bool { return registrations(t, s)["paid"].State == "error" })
	if r := registrations(t, s)["paid"]; !strings.Contains(r.LastError, "401") || !strings.Contains(r.LastError, "Invalid API Key") {
		t.Fatalf("last_error = %q", r.LastError)
	}
	putCredential(t, s, "stripe", map[string]any{"type": "bearer", "data": map[string]any{"token": stripe.Key}, "base_url": sf.URL})
	eventually(t, 30*time.Second, "registered after the fix", func() bool { return registrations(t, s)["paid"].State == "registered" })
	if len(sf.Endpoints()) != 1 {
		t.Fatalf("endpoints = %d", len(sf.Endpoints()))
	}
}

// TestRegisterTwoProcessesOnPostgres: two weft serve processes on one
// PostgreSQL apply the same workflow 20 times each at once; the provider
// gets exactly one endpoint.
func TestRegisterTwoProcessesOnPostgres(t *testing.T) {
	t.Parallel()
	db := pgSchemaURL(t)
	sf := stripe.NewFake(t)
	args := func() []string {
		return []string{"--db", db, "--data", t.TempDir(), "--public-url", "https://weft.example.test"}
	}
	a := startServer(t, nil, args()...)
	b := startServer(t, nil, args()...)
	putCredential(t, a, "stripe", map[string]any{"type": "bearer", "data": map[string]any{"token": stripe.Key}, "base_url": sf.URL})
	var wg sync.WaitGroup
	for _, s := range []*server{a, b} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 20 {
				if code, err := s.apiYAML("PUT", "/api/v1/workflows/paid", fmt.Sprintf(paidWorkflow, i, "payment_intent.succeeded")); err != nil || code/100 != 2 {
					t.Errorf("apply: %d %v", code, err)
				}
			}
		}()
	}
	wg.Wait()
	eventually(t, 20*time.Second, "registered", func() bool { return registrations(t, b)["paid"].State == "registered" })
	time.Sleep(2500 * time.Millisecond)
	if e := sf.Endpoints(); len(e) != 1 {
		t.Fatalf("endpoints = %+v", e)
	}
}

// TestRegisterAgainstStripeMock lists and creates the endpoint against
// stripe-mock (WEFT_TEST_STRIPE_MOCK_URL), which checks each request against
// Stripe's OpenAPI document and answers 400 to one that does not fit. It
// keeps no state and its fixture carries no signing secret, so the attempt
// ends in Weft's own "no secret" error: reaching it proves stripe-mock
// accepted both the list and the create.
func TestRegisterAgainstStripeMock(t *testing.T) {
	mock := os.Getenv("WEFT_TEST_STRIPE_MOCK_URL")
	if mock == "" {
		t.Skip("set WEFT_TEST_STRIPE_MOCK_URL to a running stripe-mock (http://127.0.0.1:12111)")
	}
	t.Parallel()
	s := startServer(t, nil, "--data", t.TempDir(), "--public-url", "https://weft.example.test")
	putCredential(t, s, "stripe", map[string]any{"type": "bearer", "data": map[string]any{"token": "sk_test_123"}, "base_url": mock})
	mustApply(t, s, "paid", fmt.Sprintf(paidWorkflow, 0, "payment_intent.succeeded, charge.refunded"))
	eventually(t, 20*time.Second, "an attempt at stripe-mock", func() bool { return registrations(t, s)["paid"].State == "error" })
	if r := registrations(t, s)["paid"]; !strings.Contains(r.LastError, "returned no id or secret") {
		t.Fatalf("stripe-mock refused the request: %s", r.LastError)
	}
}
