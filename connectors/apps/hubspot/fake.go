package hubspot

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/weftworks/weft/connectors/apps/apptest"
)

// Token is the private app token the fake accepts.
const Token = "pat-na1-test"

// Fake is a local HubSpot CRM v3: contacts with a unique email, search with
// cursor paging in the body, batch upsert by a unique property, and
// HubSpot's error bodies.
type Fake struct {
	*apptest.Fake
	mu       sync.Mutex
	contacts map[string]map[string]any // by id
	tickets  map[string]map[string]any // properties by id
}

// PutContact adds or replaces a contact.
func (f *Fake) PutContact(id string, props map[string]any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.contacts[id] = map[string]any{"id": id, "properties": props, "archived": false}
}

// Ticket returns a ticket's properties as last written (nil: never).
func (f *Fake) Ticket(id string) map[string]any {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.tickets[id]
}

// Contacts returns how many contacts exist.
func (f *Fake) Contacts() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.contacts)
}

func hsError(w http.ResponseWriter, status int, category, msg string) {
	apptest.WriteJSON(w, status, map[string]any{"status": "error", "message": msg, "category": category, "correlationId": "3d8f8b2e-0000-4000-8000-000000000000"})
}

// NewFake starts the fake with three contacts (ada@, bob@, cy@example.com).
func NewFake(t testing.TB) *Fake {
	f := &Fake{contacts: map[string]map[string]any{}, tickets: map[string]map[string]any{}}
	for i, e := range []string{"ada@example.com", "bob@example.com", "cy@example.com"} {
		id := fmt.Sprint(51 + i)
		f.contacts[id] = map[string]any{"id": id, "properties": map[string]any{"email": e, "firstname": strings.Split(e, "@")[0]}, "archived": false}
	}
	byEmail := func(email string) map[string]any {
		for _, c := range f.contacts {
			if c["properties"].(map[string]any)["email"] == email {
				return c
			}
		}
		return nil
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /crm/v3/objects/contacts", func(w http.ResponseWriter, _ *http.Request) {
		apptest.WriteJSON(w, 200, map[string]any{"results": []any{}})
	})
	mux.HandleFunc("GET /crm/v3/objects/contacts/{id}", func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		defer f.mu.Unlock()
		c := f.contacts[r.PathValue("id")]
		if r.URL.Query().Get("idProperty") == "email" {
			c = byEmail(r.PathValue("id"))
		}
		if c == nil {
			hsError(w, 404, "OBJECT_NOT_FOUND", "resource not found")
			return
		}
		apptest.WriteJSON(w, 200, c)
	})
	// Search: one contact per page, the cursor in paging.next.after.
	mux.HandleFunc("POST /crm/v3/objects/contacts/search", func(w http.ResponseWriter, r *http.Request) {
		b := apptest.ReadJSON(r)
		after := 0
		if s, ok := b["after"].(string); ok {
			_, _ = fmt.Sscan(s, &after)
		}
		f.mu.Lock()
		defer f.mu.Unlock()
		id := fmt.Sprint(51 + after)
		c := f.contacts[id]
		out := map[string]any{"total": len(f.contacts), "results": []any{}}
		if c != nil {
			out["results"] = []any{c}
		}
		if after+1 < len(f.contacts) {
			out["paging"] = map[string]any{"next": map[string]any{"after": fmt.Sprint(after + 1)}}
		}
		apptest.WriteJSON(w, 200, out)
	})
	mux.HandleFunc("POST /crm/v3/objects/contacts", func(w http.ResponseWriter, r *http.Request) {
		b := apptest.ReadJSON(r)
		props, _ := b["properties"].(map[string]any)
		f.mu.Lock()
		defer f.mu.Unlock()
		if email, _ := props["email"].(string); email != "" && byEmail(email) != nil {
			hsError(w, 409, "CONFLICT", "Contact already exists. Existing ID: 51")
			return
		}
		id := fmt.Sprint(51 + len(f.contacts))
		c := map[string]any{"id": id, "properties": props}
		f.contacts[id] = c
		apptest.WriteJSON(w, 201, c)
	})
	mux.HandleFunc("POST /crm/v3/objects/contacts/batch/upsert", func(w http.ResponseWriter, r *http.Request) {
		b := apptest.ReadJSON(r)
		inputs, _ := b["inputs"].([]any)
		if len(inputs) != 1 {
			hsError(w, 400, "VALIDATION_ERROR", "inputs must hold records")
			return
		}
		in := inputs[0].(map[string]any)
		if in["idProperty"] != "email" {
			hsError(w, 400, "VALIDATION_ERROR", "idProperty must be a unique property")
			return
		}
		f.mu.Lock()
		defer f.mu.Unlock()
		c, isNew := byEmail(in["id"].(string)), false
		if c == nil {
			id := fmt.Sprint(51 + len(f.contacts))
			c, isNew = map[string]any{"id": id, "properties": map[string]any{"email": in["id"]}}, true
			f.contacts[id] = c
		}
		for k, v := range in["properties"].(map[string]any) {
			c["properties"].(map[string]any)[k] = v
		}
		res := map[string]any{"id": c["id"], "properties": c["properties"], "new": isNew}
		apptest.WriteJSON(w, 200, map[string]any{"status": "COMPLETE", "results": []any{res}})
	})
	mux.HandleFunc("PUT /crm/v4/objects/{from}/{fromID}/associations/default/{to}/{toID}", func(w http.ResponseWriter, r *http.Request) {
		apptest.WriteJSON(w, 200, map[string]any{"status": "COMPLETE", "results": []any{map[string]any{"from": map[string]any{"id": r.PathValue("fromID")}, "to": map[string]any{"id": r.PathValue("toID")}}}})
	})
	mux.HandleFunc("PATCH /crm/v3/objects/tickets/{id}", func(w http.ResponseWriter, r *http.Request) {
		props, _ := apptest.ReadJSON(r)["properties"].(map[string]any)
		if props == nil {
			hsError(w, 400, "VALIDATION_ERROR", "properties are required")
			return
		}
		f.mu.Lock()
		t := f.tickets[r.PathValue("id")]
		if t == nil {
			t = map[string]any{}
			f.tickets[r.PathValue("id")] = t
		}
		for k, v := range props {
			t[k] = v
		}
		f.mu.Unlock()
		apptest.WriteJSON(w, 200, map[string]any{"id": r.PathValue("id"), "properties": props})
	})
	mux.HandleFunc("POST /crm/v3/objects/notes", func(w http.ResponseWriter, r *http.Request) {
		b := apptest.ReadJSON(r)
		apptest.WriteJSON(w, 201, map[string]any{"id": "9001", "properties": b["properties"]})
	})
	f.Fake = apptest.NewFake(t, "Bearer "+Token, mux)
	f.Unauthorized = func(w http.ResponseWriter, _ *http.Request) {
		hsError(w, 401, "INVALID_AUTHENTICATION", "Authentication credentials not found.")
	}
	return f
}
