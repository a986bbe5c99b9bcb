package stripe

import (
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"slices"
	"strings"

	"github.com/weftworks/weft/connectors/apps/apptest"
)

// Endpoint is a webhook endpoint the fake holds, in Stripe's wire format.
type Endpoint struct {
	ID            string            `json:"id"`
	Object        string            `json:"object"`
	URL           string            `json:"url"`
	EnabledEvents []string          `json:"enabled_events"`
	Metadata      map[string]string `json:"metadata"`
	Status        string            `json:"status"`
	Livemode      bool              `json:"livemode"`
	Created       int64             `json:"created"`
	// Secret is only in the answer to create, as at Stripe.
	Secret string `json:"secret,omitempty"`
}

// maxEndpoints is Stripe's cap of webhook endpoints per account.
const maxEndpoints = 16

// Endpoints returns the webhook endpoints the fake holds, oldest first,
// with their signing secrets.
func (f *Fake) Endpoints() []Endpoint {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.endpoints)
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// formEndpoint applies url, enabled_events[] and metadata[…] of a form.
func formEndpoint(e *Endpoint, r *http.Request) {
	if u := r.PostForm.Get("url"); u != "" {
		e.URL = u
	}
	if ev, ok := r.PostForm["enabled_events[]"]; ok {
		e.EnabledEvents = ev
	}
	for k, v := range r.PostForm {
		if name, ok := strings.CutPrefix(k, "metadata["); ok && strings.HasSuffix(name, "]") {
			e.Metadata[strings.TrimSuffix(name, "]")] = v[0]
		}
	}
}

// public is an endpoint as listed: without its secret.
func public(e Endpoint) Endpoint { e.Secret = ""; return e }

func (f *Fake) webhookRoutes(mux *http.ServeMux) {
	mux.HandleFunc("POST /v1/webhook_endpoints", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Content-Type") != "application/x-www-form-urlencoded" {
			stripeError(w, 400, "invalid_request_error", "Stripe takes form-encoded bodies")
			return
		}
		_ = r.ParseForm()
		e := Endpoint{Object: "webhook_endpoint", Metadata: map[string]string{}, Status: "enabled", Created: 1700000000}
		formEndpoint(&e, r)
		if e.URL == "" {
			stripeError(w, 400, "invalid_request_error", "Missing required param: url.")
			return
		}
		if len(e.EnabledEvents) == 0 {
			stripeError(w, 400, "invalid_request_error", "Missing required param: enabled_events.")
			return
		}
		f.mu.Lock()
		defer f.mu.Unlock()
		if len(f.endpoints) >= maxEndpoints {
			stripeError(w, 400, "invalid_request_error", "You have reached the maximum of 16 test webhook endpoints.")
			return
		}
		e.ID, e.Secret = "we_"+randomHex(12), "whsec_"+randomHex(16)
		f.endpoints = append(f.endpoints, e)
		apptest.WriteJSON(w, 200, e)
	})
	mux.HandleFunc("GET /v1/webhook_endpoints", func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		defer f.mu.Unlock()
		start, after := 0, r.URL.Query().Get("starting_after")
		for i, e := range f.endpoints {
			if e.ID == after {
				start = i + 1
			}
		}
		end := min(start+10, len(f.endpoints)) // Stripe's default page size
		data := []Endpoint{}
		for _, e := range f.endpoints[start:end] {
			data = append(data, public(e))
		}
		apptest.WriteJSON(w, 200, map[string]any{"object": "list", "url": "/v1/webhook_endpoints", "data": data, "has_more": end < len(f.endpoints)})
	})
	mux.HandleFunc("POST /v1/webhook_endpoints/{id}", func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		f.mu.Lock()
		defer f.mu.Unlock()
		for i := range f.endpoints {
			if f.endpoints[i].ID == r.PathValue("id") {
				formEndpoint(&f.endpoints[i], r)
				apptest.WriteJSON(w, 200, public(f.endpoints[i]))
				return
			}
		}
		stripeError(w, 404, "invalid_request_error", "No such webhook endpoint: '"+r.PathValue("id")+"'")
	})
	mux.HandleFunc("DELETE /v1/webhook_endpoints/{id}", func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		defer f.mu.Unlock()
		for i := range f.endpoints {
			if f.endpoints[i].ID == r.PathValue("id") {
				f.endpoints = slices.Delete(f.endpoints, i, i+1)
				apptest.WriteJSON(w, 200, map[string]any{"id": r.PathValue("id"), "object": "webhook_endpoint", "deleted": true})
				return
			}
		}
		stripeError(w, 404, "invalid_request_error", "No such webhook endpoint: '"+r.PathValue("id")+"'")
	})
}
