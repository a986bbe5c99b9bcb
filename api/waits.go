package api

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/events"
)

// Waiting for the world: POST /api/v1/events, the approvals inbox and the
// public resume URLs (docs/events.md).

func (s *server) eventsOff(w http.ResponseWriter, r *http.Request) bool {
	if s.cfg.Events != nil {
		return false
	}
	writeError(w, r, s.log, &Error{Status: http.StatusNotFound, Code: "not_configured", Message: "events are not served by this process"})
	return true
}

// eventError maps the event service's errors; a full buffer is 429 with
// the reason, so the publisher knows to slow down or fix its keys.
func eventError(err error) error {
	switch {
	case errors.Is(err, weft.ErrOverloaded):
		return &Error{Status: http.StatusTooManyRequests, Code: "event_buffer_full", Message: err.Error()}
	case errors.Is(err, events.ErrBadToken):
		return &Error{Status: http.StatusNotFound, Code: "not_found", Message: "unknown resume URL: check that it was copied whole"}
	case errors.Is(err, events.ErrUsed):
		return &Error{Status: http.StatusConflict, Code: "already_used", Message: err.Error()}
	case errors.Is(err, events.ErrGone):
		return &Error{Status: http.StatusGone, Code: "execution_finished", Message: err.Error()}
	}
	return err
}

func (s *server) publishEvent(w http.ResponseWriter, r *http.Request) {
	if s.eventsOff(w, r) {
		return
	}
	body, err := readJSON(r, "")
	if err != nil {
		writeError(w, r, s.log, err)
		return
	}
	var in struct {
		Name    string          `json:"name"`
		Key     json.RawMessage `json:"key"`
		Payload json.RawMessage `json:"payload"`
	}
	if err := json.Unmarshal(body, &in); err != nil {
		writeError(w, r, s.log, badRequest("request body must be {\"name\": …, \"key\": …, \"payload\": …}: %v", err))
		return
	}
	key, err := keyString(in.Key)
	if err != nil {
		writeError(w, r, s.log, err)
		return
	}
	ev, err := s.cfg.Events.Publish(r.Context(), in.Name, key, in.Payload)
	if err != nil {
		writeError(w, r, s.log, eventError(err))
		return
	}
	writeJSON(w, http.StatusAccepted, map[string]any{"id": ev.ID, "name": ev.Name, "key": ev.Key, "received_at": ev.CreatedAt})
}

// keyString accepts a key given as a string or a number (an order id).
func keyString(raw json.RawMessage) (string, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return "", nil
	}
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		return "", badRequest("key: %v", err)
	}
	switch k := v.(type) {
	case string:
		return k, nil
	case float64:
		return string(raw), nil
	}
	return "", &Error{Status: http.StatusUnprocessableEntity, Code: "invalid", Message: "key must be a string or a number"}
}

func (s *server) listApprovals(w http.ResponseWriter, r *http.Request) {
	if s.eventsOff(w, r) {
		return
	}
	p, err := page(r)
	if err != nil {
		writeError(w, r, s.log, err)
		return
	}
	items, next, err := s.cfg.Events.Approvals(r.Context(), p)
	if err != nil {
		writeError(w, r, s.log, err)
		return
	}
	writeJSON(w, http.StatusOK, newList(items, next))
}

func (s *server) decideApproval(w http.ResponseWriter, r *http.Request) {
	if s.eventsOff(w, r) {
		return
	}
	body, err := readJSON(r, "{}")
	if err != nil {
		writeError(w, r, s.log, err)
		return
	}
	var d events.Decision
	if err := json.Unmarshal(body, &d); err != nil {
		writeError(w, r, s.log, badRequest("request body must be {\"decision\": \"approve\"|\"reject\", \"comment\": …}: %v", err))
		return
	}
	// The principal: a user's email, "admin" for the static admin token.
	d.By = PrincipalFrom(r.Context())
	item := weft.WholeStep
	if v := r.URL.Query().Get("item"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			writeError(w, r, s.log, badRequest("item %q: give the for_each item's index (0, 1, …), as GET /api/v1/approvals lists it", v))
			return
		}
		item = n
	}
	d, err = s.cfg.Events.Decide(r.Context(), r.PathValue("execution"), r.PathValue("step"), item, d)
	if err != nil {
		writeError(w, r, s.log, eventError(err))
		return
	}
	s.audit(r, "approval.decided", r.PathValue("execution"), map[string]any{"step": r.PathValue("step"), "item": item, "decision": d.Decision})
	writeJSON(w, http.StatusOK, d)
}
