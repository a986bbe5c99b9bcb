package stripe

import (
	"fmt"
	"net/http"
	"sync"
	"testing"

	"github.com/weftworks/weft/connectors/apps/apptest"
)

// Key is the secret key the fake accepts.
const Key = "sk_test_weft"

// Fake is a local Stripe API: form-encoded requests, Bearer keys,
// Idempotency-Key replay, list pagination by starting_after and Stripe's
// error bodies, and webhook endpoints kept in memory.
type Fake struct {
	*apptest.Fake
	mu      sync.Mutex
	refunds map[string]map[string]any // by idempotency key
	// endpoints are the webhook endpoints, oldest first.
	endpoints []Endpoint
}

// Refunds reports how many refunds were really created.
func (f *Fake) Refunds() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.refunds)
}

func stripeError(w http.ResponseWriter, status int, typ, msg string) {
	apptest.WriteJSON(w, status, map[string]any{"error": map[string]any{"type": typ, "message": msg}})
}

// NewFake starts the fake with 5 customers.
func NewFake(t testing.TB) *Fake {
	f := &Fake{refunds: map[string]map[string]any{}}
	mux := http.NewServeMux()
	customers := []any{}
	for i := 1; i <= 5; i++ {
		customers = append(customers, map[string]any{"id": fmt.Sprintf("cus_%d", i), "object": "customer", "email": fmt.Sprintf("c%d@example.com", i)})
	}
	mux.HandleFunc("GET /v1/balance", func(w http.ResponseWriter, _ *http.Request) {
		apptest.WriteJSON(w, 200, map[string]any{"object": "balance", "available": []any{map[string]any{"amount": 0, "currency": "eur"}}})
	})
	mux.HandleFunc("GET /v1/customers", func(w http.ResponseWriter, r *http.Request) {
		after, start := r.URL.Query().Get("starting_after"), 0
		for i, c := range customers {
			if c.(map[string]any)["id"] == after {
				start = i + 1
			}
		}
		end := min(start+2, len(customers)) // pages of 2, whatever limit says
		apptest.WriteJSON(w, 200, map[string]any{"object": "list", "url": "/v1/customers", "data": customers[start:end], "has_more": end < len(customers)})
	})
	mux.HandleFunc("POST /v1/customers", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Content-Type") != "application/x-www-form-urlencoded" {
			stripeError(w, 400, "invalid_request_error", "Stripe takes form-encoded bodies")
			return
		}
		_ = r.ParseForm()
		apptest.WriteJSON(w, 200, map[string]any{"id": "cus_new", "object": "customer", "email": r.PostForm.Get("email"), "metadata": map[string]any{"order": r.PostForm.Get("metadata[order]")}})
	})
	mux.HandleFunc("POST /v1/refunds", func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		key := r.Header.Get("Idempotency-Key")
		if r.PostForm.Get("payment_intent") == "pi_missing" {
			stripeError(w, 404, "invalid_request_error", "No such payment_intent: 'pi_missing'")
			return
		}
		f.mu.Lock()
		defer f.mu.Unlock()
		if prev, ok := f.refunds[key]; ok && key != "" {
			w.Header().Set("Idempotent-Replayed", "true")
			apptest.WriteJSON(w, 200, prev)
			return
		}
		re := map[string]any{"id": fmt.Sprintf("re_%d", len(f.refunds)+1), "object": "refund", "payment_intent": r.PostForm.Get("payment_intent"), "status": "succeeded"}
		f.refunds[key] = re
		apptest.WriteJSON(w, 200, re)
	})
	f.webhookRoutes(mux)
	f.Fake = apptest.NewFake(t, "Bearer "+Key, mux)
	f.Unauthorized = func(w http.ResponseWriter, _ *http.Request) {
		stripeError(w, 401, "invalid_request_error", "Invalid API Key provided")
	}
	return f
}
