package api

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/events"
	"github.com/weftworks/weft/trigger/webhook/verify"
	"github.com/weftworks/weft/trigger/webhook/verifyspec"
)

// ResumeVerifier checks a call of a resume URL against the waiting step's
// verify configuration, with the workflow's webhook_secret credentials.
type ResumeVerifier interface {
	VerifyResume(ctx context.Context, workflow string, version int64, stepID string, configs []verifyspec.Config,
		r *http.Request, body []byte) (verify.Result, error)
}

// Refusal reasons of resume calls, counted in
// weft_webhook_refusals_total{reason} beside the webhooks' own.
const (
	refusedResumeToken      = "resume_unknown"
	refusedResumeUnverified = "resume_unverified"
	refusedResumeUsed       = "resume_used"
	refusedResumeFinished   = "resume_finished"
)

// resume serves POST /hooks/resume/{token}: public, authorized by the
// token itself and, when the step sets `verify:`, by the caller's
// signature like a webhook; the body (JSON, or empty) becomes the waiting
// step's output. A bad token is refused before anything is read (its
// length first, then its MAC); a call that fails verification is 401 and
// leaves the URL unused, so the real caller can still call it.
func (s *server) resume(w http.ResponseWriter, r *http.Request) {
	if s.eventsOff(w, r) {
		return
	}
	token := r.PathValue("token")
	t, err := s.cfg.Events.ParseToken(token)
	if err != nil {
		s.refuseResume(w, r, refusedResumeToken, eventError(err))
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, int64(s.cfg.Events.Limits().MaxPayload))
	raw, err := readBody(r)
	if err != nil {
		writeError(w, r, s.log, err)
		return
	}
	body := []byte("{}")
	if len(bytes.TrimSpace(raw)) > 0 {
		if err := jsonSyntax(raw); err != nil {
			writeError(w, r, s.log, err)
			return
		}
		body = raw
	}
	if err := s.verifyResume(r.Context(), r, t, raw); err != nil {
		var refusal *Error
		if errors.As(err, &refusal) {
			s.refuseResume(w, r, refusedResumeUnverified, err)
			return
		}
		s.countResume(err)
		writeError(w, r, s.log, eventError(err))
		return
	}
	if err := s.cfg.Events.Deliver(r.Context(), t, token, body); err != nil {
		s.countResume(err)
		writeError(w, r, s.log, eventError(err))
		return
	}
	out := map[string]any{"resumed": true, "execution_id": t.ExecutionID, "step_id": t.StepID,
		"message": fmt.Sprintf("step %q of execution %s goes on", t.StepID, t.ExecutionID)}
	if t.Item != weft.WholeStep {
		out["item"] = t.Item
		out["message"] = fmt.Sprintf("item %d of step %q of execution %s goes on", t.Item, t.StepID, t.ExecutionID)
	}
	writeJSON(w, http.StatusAccepted, out)
}

// verifyResume verifies the call when the step sets `verify:`; the
// configuration comes from the execution's own workflow version, so a
// later version cannot loosen what a waiting execution asked for.
func (s *server) verifyResume(ctx context.Context, r *http.Request, t events.ResumeTarget, raw []byte) error {
	ex, err := s.store.GetExecution(ctx, t.ExecutionID)
	if errors.Is(err, weft.ErrNotFound) {
		return fmt.Errorf("execution %s no longer exists: %w", t.ExecutionID, events.ErrGone)
	}
	if err != nil {
		return err
	}
	if ex.Status.Finished() {
		// Nothing to verify for: Deliver answers a finished execution
		// without changing anything, "used" when this URL's step took a
		// call already (a repeat), "gone" otherwise.
		return nil
	}
	rec, err := s.store.GetWorkflowVersion(ctx, ex.Workflow, ex.WorkflowVersion)
	if err != nil {
		return fmt.Errorf("reading workflow %q version %d: %w", ex.Workflow, ex.WorkflowVersion, err)
	}
	c, err := s.engine.CompiledRecord(rec)
	if err != nil {
		return fmt.Errorf("compiling workflow %q version %d: %w", ex.Workflow, ex.WorkflowVersion, err)
	}
	n := c.ByID[t.StepID]
	if n == nil || len(n.ResumeVerify) == 0 {
		return nil
	}
	if s.cfg.ResumeVerifier == nil {
		return &Error{Status: http.StatusUnauthorized, Code: "unauthorized", Message: "this process cannot verify resume calls"}
	}
	if _, err := s.cfg.ResumeVerifier.VerifyResume(ctx, ex.Workflow, ex.WorkflowVersion, t.StepID, n.ResumeVerify, r, raw); err != nil {
		// The reason names the check that failed (a missing header, a bad
		// signature), never a secret; the caller owns the URL already.
		return &Error{Status: http.StatusUnauthorized, Code: "unauthorized",
			Message: "the resume call failed verification (" + err.Error() + "); the URL was not used and can be called again with a valid signature"}
	}
	return nil
}

// refuseResume answers a refused resume call and counts it. The request
// log line is bounded per source by logRequests, like every refusal.
func (s *server) refuseResume(w http.ResponseWriter, r *http.Request, reason string, err error) {
	s.cfg.Metrics.WebhookRefused(reason)
	writeError(w, r, s.log, err)
}

func (s *server) countResume(err error) {
	switch {
	case errors.Is(err, events.ErrUsed):
		s.cfg.Metrics.WebhookRefused(refusedResumeUsed)
	case errors.Is(err, events.ErrGone):
		s.cfg.Metrics.WebhookRefused(refusedResumeFinished)
	}
}
