package api

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"

	"github.com/weftworks/weft/alert"
	"github.com/weftworks/weft/store"
)

// Alerts is what the API asks of the alert service: rules with their
// state, and the rules made through the API.
type Alerts interface {
	ListAlerts(ctx context.Context) ([]AlertStatus, error)
	PutAlert(ctx context.Context, r alert.Rule) (alert.Rule, error)
	DeleteAlert(ctx context.Context, name string) error
}

// AlertStatus is a rule and where it stands (state "pending" until it is
// first evaluated).
type AlertStatus struct {
	Rule  alert.Rule       `json:"rule"`
	State store.AlertState `json:"status"`
}

func (s *server) alertsOff(w http.ResponseWriter, r *http.Request) bool {
	if s.cfg.Alerts != nil {
		return false
	}
	writeError(w, r, s.log, &Error{Status: http.StatusNotFound, Code: "not_configured", Message: "alerts are not configured in this process"})
	return true
}

// listAlerts serves GET /api/v1/alerts.
func (s *server) listAlerts(w http.ResponseWriter, r *http.Request) {
	if s.alertsOff(w, r) {
		return
	}
	items, err := s.cfg.Alerts.ListAlerts(r.Context())
	if err != nil {
		writeError(w, r, s.log, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": items})
}

// putAlert serves PUT /api/v1/alerts/{name}: creates or replaces a rule.
func (s *server) putAlert(w http.ResponseWriter, r *http.Request) {
	if s.alertsOff(w, r) {
		return
	}
	body, err := readJSON(r, "")
	if err != nil {
		writeError(w, r, s.log, err)
		return
	}
	var rule alert.Rule
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&rule); err != nil {
		writeError(w, r, s.log, badRequest("the body must be an alert rule {kind, workflow, connection, credential, window, threshold, min_executions, repeat, notify}: %v", err))
		return
	}
	rule.Name = r.PathValue("name")
	out, err := s.cfg.Alerts.PutAlert(r.Context(), rule)
	if err != nil {
		writeError(w, r, s.log, err)
		return
	}
	writeJSON(w, http.StatusOK, out)
}

// deleteAlert serves DELETE /api/v1/alerts/{name}.
func (s *server) deleteAlert(w http.ResponseWriter, r *http.Request) {
	if s.alertsOff(w, r) {
		return
	}
	if err := s.cfg.Alerts.DeleteAlert(r.Context(), r.PathValue("name")); err != nil {
		writeError(w, r, s.log, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
