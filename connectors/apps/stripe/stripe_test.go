package stripe_test

import (
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/weftworks/weft/connectors/apps/apptest"
	"github.com/weftworks/weft/connectors/apps/stripe"
	"github.com/weftworks/weft/step"
)

func conns(base string) apptest.Connections {
	return apptest.Connections{
		"stripe": {Type: "bearer", Data: map[string]string{"token": stripe.Key}, BaseURL: base},
		"wrong":  {Type: "bearer", Data: map[string]string{"token": "sk_test_revoked"}, BaseURL: base},
	}
}

func TestCreateCustomerFormEncoded(t *testing.T) {
	t.Parallel()
	f := stripe.NewFake(t)
	reg := apptest.Registry(t)
	r := apptest.Run(t, reg, conns(f.URL), "stripe.create_customer", map[string]any{"email": "ada@example.com", "metadata": map[string]any{"order": 7}})
	if r.Err != nil {
		t.Fatal(r.Err)
	}
	seen := f.Last(t, "/v1/customers")
	form, _ := url.ParseQuery(string(seen.Body))
	if form.Get("email") != "ada@example.com" || form.Get("metadata[order]") != "7" {
		t.Errorf("form = %v", form)
	}
	if seen.Header.Get("Idempotency-Key") != "ex1:s1" {
		t.Errorf("Idempotency-Key = %q, want the step run's key", seen.Header.Get("Idempotency-Key"))
	}
	if out := r.Output.(map[string]any); out["id"] != "cus_new" {
		t.Errorf("output = %v", out)
	}
}

// TestRefundNeverTwice: a retry after a crash sends the same key, and the
// provider replays the first refund instead of making a second.
func TestRefundNeverTwice(t *testing.T) {
	t.Parallel()
	f := stripe.NewFake(t)
	reg := apptest.Registry(t)
	f.Throttle("/v1/refunds", 1)
	r := apptest.Run(t, reg, conns(f.URL), "stripe.create_refund", map[string]any{"payment_intent": "pi_1"})
	if ok, after := step.IsRetryable(r.Err); !ok || after.Seconds() != 1 {
		t.Fatalf("429: %v (retryable %v, after %v)", r.Err, ok, after)
	}
	for range 3 { // the engine's retries, or runs after a crash
		if r = apptest.Run(t, reg, conns(f.URL), "stripe.create_refund", map[string]any{"payment_intent": "pi_1"}); r.Err != nil {
			t.Fatal(r.Err)
		}
	}
	if n := f.Refunds(); n != 1 {
		t.Fatalf("refunds created = %d, want 1", n)
	}
}

func TestErrorsAndPagination(t *testing.T) {
	t.Parallel()
	f := stripe.NewFake(t)
	reg := apptest.Registry(t)
	r := apptest.Run(t, reg, conns(f.URL), "stripe.create_refund", map[string]any{"payment_intent": "pi_missing"})
	if r.Err == nil || !strings.Contains(r.Err.Error(), "No such payment_intent") || !strings.Contains(r.Err.Error(), "404") {
		t.Errorf("404: %v", r.Err)
	}
	r = apptest.Run(t, reg, conns(f.URL), "stripe.list_customers", map[string]any{"connection": "wrong"})
	if r.Err == nil || !strings.Contains(r.Err.Error(), "401") || strings.Contains(r.Err.Error(), "sk_test_revoked") {
		t.Errorf("401: %v", r.Err)
	}
	r = apptest.Run(t, reg, conns(f.URL), "stripe.list_customers", map[string]any{"paginate": "all", "limit": 2})
	out, _ := r.Output.(map[string]any)
	if r.Err != nil || len(out["items"].([]any)) != 5 || out["pages"] != 3 {
		t.Fatalf("pages: %v %v", out, r.Err)
	}
	var afters []string
	for _, s := range f.Seen() {
		if s.Path == "/v1/customers" && s.Method == "GET" && s.Header.Get("Authorization") == "Bearer "+stripe.Key {
			q, _ := url.ParseQuery(s.Query)
			afters = append(afters, q.Get("starting_after"))
		}
	}
	if strings.Join(afters, ",") != ",cus_2,cus_4" {
		t.Errorf("starting_after per page = %q", afters)
	}
}

// TestStripeMock runs operations against stripe-mock, which validates each
// request against Stripe's OpenAPI document.
func TestStripeMock(t *testing.T) {
	t.Parallel()
	base := os.Getenv("WEFT_TEST_STRIPE_MOCK_URL")
	if base == "" {
		t.Skip("WEFT_TEST_STRIPE_MOCK_URL is not set: install and start stripe-mock (go install github.com/stripe/stripe-mock@v0.203.0; stripe-mock -http-port 12111) and set it to http://127.0.0.1:12111")
	}
	reg := apptest.Registry(t)
	c := apptest.Connections{"stripe": {Type: "bearer", Data: map[string]string{"token": "sk_test_123"}, BaseURL: base}}
	cases := []struct {
		typ  string
		with map[string]any
		obj  string
	}{
		{"stripe.create_customer", map[string]any{"email": "ada@example.com", "name": "Ada", "metadata": map[string]any{"order": "7"}}, "customer"},
		{"stripe.get_customer", map[string]any{"customer": "cus_123"}, "customer"},
		{"stripe.update_customer", map[string]any{"customer": "cus_123", "description": "vip"}, "customer"},
		{"stripe.list_customers", map[string]any{"limit": 3}, "list"},
		{"stripe.search_customers", map[string]any{"query": "email:'ada@example.com'"}, "search_result"},
		{"stripe.create_payment_intent", map[string]any{"amount": 1999, "currency": "eur", "automatic_payment_methods": map[string]any{"enabled": true}, "metadata": map[string]any{"order": "7"}}, "payment_intent"},
		{"stripe.get_payment_intent", map[string]any{"intent": "pi_123"}, "payment_intent"},
		{"stripe.confirm_payment_intent", map[string]any{"intent": "pi_123", "payment_method": "pm_card_visa"}, "payment_intent"},
		{"stripe.cancel_payment_intent", map[string]any{"intent": "pi_123", "cancellation_reason": "duplicate"}, "payment_intent"},
		{"stripe.search_payment_intents", map[string]any{"query": "status:'succeeded'"}, "search_result"},
		{"stripe.get_charge", map[string]any{"charge": "ch_123"}, "charge"},
		{"stripe.list_charges", map[string]any{"customer": "cus_123"}, "list"},
		{"stripe.search_charges", map[string]any{"query": "amount>999"}, "search_result"},
		{"stripe.create_refund", map[string]any{"payment_intent": "pi_123", "reason": "requested_by_customer"}, "refund"},
		{"stripe.get_refund", map[string]any{"refund": "re_123"}, "refund"},
		{"stripe.create_invoice", map[string]any{"customer": "cus_123", "collection_method": "send_invoice", "days_until_due": 30}, "invoice"},
		{"stripe.get_invoice", map[string]any{"invoice": "in_123"}, "invoice"},
		{"stripe.finalize_invoice", map[string]any{"invoice": "in_123"}, "invoice"},
		{"stripe.list_invoices", map[string]any{"status": "paid"}, "list"},
		{"stripe.create_subscription", map[string]any{"customer": "cus_123", "items": []any{map[string]any{"price": "price_123", "quantity": 2}}}, "subscription"},
		{"stripe.get_subscription", map[string]any{"subscription": "sub_123"}, "subscription"},
		{"stripe.cancel_subscription", map[string]any{"subscription": "sub_123"}, "subscription"},
		{"stripe.list_subscriptions", map[string]any{"status": "active"}, "list"},
	}
	for _, tc := range cases {
		r := apptest.Run(t, reg, c, tc.typ, tc.with)
		if r.Err != nil {
			t.Errorf("%s: %v", tc.typ, r.Err)
			continue
		}
		if out, _ := r.Output.(map[string]any); out["object"] != tc.obj {
			t.Errorf("%s: object = %v, want %s", tc.typ, out["object"], tc.obj)
		}
	}
	// Every list operation pages against stripe-mock too.
	r := apptest.Run(t, reg, c, "stripe.list_customers", map[string]any{"paginate": 2})
	if r.Err != nil {
		t.Fatalf("paginate: %v", r.Err)
	}
}
