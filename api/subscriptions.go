package api

import (
	"context"
	"encoding/json"
	"net/http"

	"github.com/weftworks/weft/outbound"
	"github.com/weftworks/weft/store"
)

// Subscriptions is what the API asks of the outbound webhook service
// beyond the store: creating an endpoint (it generates and seals the
// secret) and dropping its cached list after a delete.
type Subscriptions interface {
	Create(ctx context.Context, in outbound.Input) (store.Subscription, string, error)
	Invalidate()
}

func (s *server) subscriptionsOff(w http.ResponseWriter, r *http.Request) bool {
	if s.cfg.Subscriptions != nil {
		return false
	}
	writeError(w, r, s.log, &Error{Status: http.StatusNotFound, Code: "not_configured", Message: "outbound webhook subscriptions are not configured in this process"})
	return true
}

// createSubscription stores an endpoint; the signing secret is in this
// response only.
func (s *server) createSubscription(w http.ResponseWriter, r *http.Request) {
	if s.subscriptionsOff(w, r) {
		return
	}
	body, err := readJSON(r, "")
	if err != nil {
		writeError(w, r, s.log, err)
		return
	}
	var in outbound.Input
	if err := json.Unmarshal(body, &in); err != nil {
		writeError(w, r, s.log, badRequest("the body must be {url, events, workflows, description, secret}: %v", err))
		return
	}
	sub, secret, err := s.cfg.Subscriptions.Create(r.Context(), in)
	if err != nil {
		writeError(w, r, s.log, err)
		return
	}
	s.audit(r, "subscription.created", sub.ID, map[string]any{"url": sub.URL, "events": sub.Events, "workflows": sub.Workflows})
	w.Header().Set("Location", "/api/v1/subscriptions/"+sub.ID)
	writeJSON(w, http.StatusCreated, struct {
		store.Subscription
		Secret string `json:"secret"`
	}{sub, secret})
}

func (s *server) listSubscriptions(w http.ResponseWriter, r *http.Request) {
	subs, err := s.store.ListSubscriptions(r.Context())
	if err != nil {
		writeError(w, r, s.log, err)
		return
	}
	writeJSON(w, http.StatusOK, newList(subs, ""))
}

func (s *server) deleteSubscription(w http.ResponseWriter, r *http.Request) {
	if err := s.store.DeleteSubscription(r.Context(), r.PathValue("id")); err != nil {
		writeError(w, r, s.log, err)
		return
	}
	if s.cfg.Subscriptions != nil {
		s.cfg.Subscriptions.Invalidate()
	}
	s.audit(r, "subscription.deleted", r.PathValue("id"), nil)
	w.WriteHeader(http.StatusNoContent)
}
