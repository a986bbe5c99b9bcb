package fakes

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"time"
)

// Request is a recorded call.
type Request struct {
	Method         string
	Path           string
	Header         http.Header
	Body           map[string]any
	IdempotencyKey string
}

type recorder struct {
	mu   sync.Mutex
	reqs []Request
}

func (r *recorder) record(req *http.Request) Request {
	var body map[string]any
	_ = json.NewDecoder(req.Body).Decode(&body)
	rec := Request{Method: req.Method, Path: req.URL.Path, Header: req.Header.Clone(), Body: body, IdempotencyKey: req.Header.Get("Idempotency-Key")}
	r.mu.Lock()
	r.reqs = append(r.reqs, rec)
	r.mu.Unlock()
	return rec
}

// Requests returns the calls received so far.
func (r *recorder) Requests() []Request {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Request(nil), r.reqs...)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func bearer(r *http.Request, token string) bool {
	return r.Header.Get("Authorization") == "Bearer "+token
}

// CRM is a small customer/ticket API: GET /customers/{id}, PATCH /tickets/{id}.
type CRM struct {
	*httptest.Server
	recorder
	Token     string
	Customers map[string]map[string]any
	mu        sync.Mutex
	tickets   map[string]map[string]any
}

// NewCRM starts a CRM fake.
func NewCRM(token string, customers map[string]map[string]any) *CRM {
	c := &CRM{Token: token, Customers: customers, tickets: map[string]map[string]any{}}
	c.Server = httptest.NewServer(http.HandlerFunc(c.serve))
	return c
}

func (c *CRM) serve(w http.ResponseWriter, r *http.Request) {
	rec := c.record(r)
	if !bearer(r, c.Token) {
		writeJSON(w, http.StatusUnauthorized, map[string]any{"error": "invalid token"})
		return
	}
	switch {
	case r.Method == http.MethodGet && strings.HasPrefix(r.URL.Path, "/customers/"):
		cust, ok := c.Customers[strings.TrimPrefix(r.URL.Path, "/customers/")]
		if !ok {
			writeJSON(w, http.StatusNotFound, map[string]any{"error": "no such customer"})
			return
		}
		writeJSON(w, http.StatusOK, cust)
	case r.Method == http.MethodPatch && strings.HasPrefix(r.URL.Path, "/tickets/"):
		id := strings.TrimPrefix(r.URL.Path, "/tickets/")
		c.mu.Lock()
		t := c.tickets[id]
		if t == nil {
			t = map[string]any{"id": id}
			c.tickets[id] = t
		}
		for k, v := range rec.Body {
			t[k] = v
		}
		c.mu.Unlock()
		writeJSON(w, http.StatusOK, t)
	default:
		writeJSON(w, http.StatusNotFound, map[string]any{"error": "no route"})
	}
}

// Ticket returns a ticket as updated through PATCH.
func (c *CRM) Ticket(id string) map[string]any {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.tickets[id]
}

// Slack answers Slack Web API chat.postMessage.
type Slack struct {
	*httptest.Server
	recorder
	Token string
}

// NewSlack starts the fake.
func NewSlack(token string) *Slack {
	s := &Slack{Token: token}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	return s
}

func (s *Slack) serve(w http.ResponseWriter, r *http.Request) {
	rec := s.record(r)
	if r.URL.Path != "/api/chat.postMessage" {
		writeJSON(w, http.StatusOK, map[string]any{"ok": false, "error": "unknown_method"})
		return
	}
	if !bearer(r, s.Token) {
		writeJSON(w, http.StatusOK, map[string]any{"ok": false, "error": "invalid_auth"})
		return
	}
	ch, _ := rec.Body["channel"].(string)
	if ch == "" {
		writeJSON(w, http.StatusOK, map[string]any{"ok": false, "error": "channel_not_found"})
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"ok": true, "channel": ch,
		"ts": fmt.Sprintf("%d.000100", time.Now().Unix()), "message": map[string]any{"text": rec.Body["text"]}})
}
