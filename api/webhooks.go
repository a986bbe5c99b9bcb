package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/engine"
	"github.com/weftworks/weft/store"
)

var deliveryOutcomes = []string{store.OutcomeAccepted, store.OutcomeDuplicate, store.OutcomeRejected, store.OutcomeForbidden,
	store.OutcomeRateLimited, store.OutcomeTooLarge, store.OutcomeBadRequest, store.OutcomeBadMethod, store.OutcomeOverloaded,
	store.OutcomeChallenge, store.OutcomeIgnored, store.OutcomeError, store.OutcomeReplayed, store.OutcomeNotListening}

// listDeliveries serves the webhook delivery log.
func (s *server) listDeliveries(w http.ResponseWriter, r *http.Request) {
	p, err := page(r)
	if err != nil {
		writeError(w, r, s.log, err)
		return
	}
	f := store.DeliveryFilter{Workflow: r.URL.Query().Get("workflow"), Outcome: r.URL.Query().Get("outcome"), Page: p}
	if f.Outcome != "" && !slices.Contains(deliveryOutcomes, f.Outcome) {
		e := invalidParam("outcome", "%q is not a delivery outcome; use one of %s", f.Outcome, quoteList(deliveryOutcomes))
		e.Details = deliveryOutcomes
		writeError(w, r, s.log, e)
		return
	}
	items, next, err := s.store.ListDeliveries(r.Context(), f)
	if err != nil {
		writeError(w, r, s.log, err)
		return
	}
	writeJSON(w, http.StatusOK, newList(s.withExecutionOutcomes(r.Context(), items), next))
}

// deliveryItem is a delivery in the log with what became of the execution
// it started: "accepted" only says the request was stored, and a delivery
// whose workflow then failed must not read as a success.
type deliveryItem struct {
	store.WebhookDelivery
	ExecutionStatus weft.ExecutionStatus `json:"execution_status,omitempty"`
	ExecutionError  *weft.ErrorInfo      `json:"execution_error,omitempty"`
}

// withExecutionOutcomes adds each started execution's status: one point
// read per item, and a page holds at most 500. An execution pruned since
// adds nothing.
func (s *server) withExecutionOutcomes(ctx context.Context, items []store.WebhookDelivery) []deliveryItem {
	out := make([]deliveryItem, len(items))
	for i, d := range items {
		out[i].WebhookDelivery = d
		if d.ExecutionID == "" {
			continue
		}
		if ex, err := s.store.GetExecution(ctx, d.ExecutionID); err == nil {
			out[i].ExecutionStatus, out[i].ExecutionError = ex.Status, ex.Error
		}
	}
	return out
}

// replayDelivery starts a new execution from a stored delivery: the input
// of the execution it started, or the request kept for one that started
// nothing (rejected, shed). Verification and dedupe are not applied again:
// this is an operator's decision, made with the API token.
func (s *server) replayDelivery(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	d, err := s.store.GetDelivery(ctx, r.PathValue("id"))
	if err != nil {
		writeError(w, r, s.log, err)
		return
	}
	input := d.Request
	if d.ExecutionID != "" {
		ex, err := s.store.GetExecution(ctx, d.ExecutionID)
		if err != nil && !errors.Is(err, weft.ErrNotFound) {
			writeError(w, r, s.log, err)
			return
		}
		if err == nil {
			input = ex.Input
		}
	}
	if len(input) == 0 || d.Workflow == "" {
		writeError(w, r, s.log, &Error{Status: http.StatusConflict, Code: "not_replayable",
			Message: fmt.Sprintf("delivery %s kept no request to replay (its body was too large, or no workflow listened on its path)", d.ID)})
		return
	}
	var obj map[string]any
	if err := json.Unmarshal(input, &obj); err != nil || obj == nil {
		obj = map[string]any{}
	}
	obj["replay"] = map[string]any{"delivery_id": d.ID, "execution_id": d.ExecutionID}
	in, _ := json.Marshal(obj)
	started, err := s.engine.Start(ctx, engine.StartRequest{Workflow: d.Workflow, Input: in, Trigger: weft.TriggerWebhook})
	if err != nil {
		writeError(w, r, s.log, err)
		return
	}
	now := s.cfg.Now()
	rec := store.WebhookDelivery{ID: engine.NewID(now), Workflow: d.Workflow, Path: d.Path, ReceivedAt: now, Method: d.Method,
		Status: http.StatusAccepted, Outcome: store.OutcomeReplayed, Reason: "replay of " + d.ID, ExecutionID: started.Execution.ID}
	if err := s.store.RecordDeliveries(ctx, []store.WebhookDelivery{rec}); err != nil {
		s.log.Warn("recording a replay in the delivery log", "delivery", d.ID, "err", err)
	}
	s.audit(r, "delivery.replayed", d.ID, map[string]any{"workflow": d.Workflow, "execution_id": started.Execution.ID})
	w.Header().Set("Location", executionURL(started.Execution.ID))
	writeJSON(w, http.StatusAccepted, map[string]any{"execution_id": started.Execution.ID, "delivery_id": rec.ID, "replay_of": d.ID})
}

// listRegistrations serves GET /api/v1/webhooks/registrations: each
// workflow's webhook subscription at its provider (on.webhook.register)
// with its state, the provider's endpoint id and the last error. The
// signing secret is never part of it.
func (s *server) listRegistrations(w http.ResponseWriter, r *http.Request) {
	items, err := s.store.ListRegistrations(r.Context())
	if err != nil {
		writeError(w, r, s.log, err)
		return
	}
	if items == nil {
		items = []weft.WebhookRegistration{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": items})
}
