package events

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/step"
	"github.com/weftworks/weft/store"
)

// Decision is a person's answer to an approval.
type Decision struct {
	// Decision is "approve" or "reject".
	Decision string `json:"decision"`
	Comment  string `json:"comment,omitempty"`
	// By says who decided: the principal of the API token ("admin" for
	// the static admin token) or "resume URL".
	By string    `json:"by"`
	At time.Time `json:"at"`
}

// MaxCommentLen bounds a decision's comment.
const MaxCommentLen = 4000

// Approval is a pending approval as the inbox lists it.
type Approval struct {
	ExecutionID string `json:"execution_id"`
	StepID      string `json:"step_id"`
	// Item is the for_each item the request is about, or -1 for a step
	// without for_each.
	Item      int             `json:"item"`
	Workflow  string          `json:"workflow"`
	Info      json.RawMessage `json:"request,omitempty"`
	CreatedAt time.Time       `json:"created_at"`
	ExpiresAt time.Time       `json:"expires_at"`
}

// Approvals lists pending approvals, oldest first.
func (s *Service) Approvals(ctx context.Context, page store.Page) ([]Approval, string, error) {
	ws, next, err := s.cfg.Store.ListEventWaits(ctx, step.EventApproval, page)
	if err != nil {
		return nil, "", err
	}
	out := make([]Approval, 0, len(ws))
	// The store deletes an execution's waits in the write that finishes
	// or cancels it, so every row listed belongs to a live execution.
	for _, w := range ws {
		out = append(out, Approval{ExecutionID: w.ExecutionID, StepID: w.StepID, Item: w.Item, Workflow: w.Workflow, Info: w.Info, CreatedAt: w.CreatedAt, ExpiresAt: w.ExpiresAt})
	}
	return out, next, nil
}

// Decide records d for the approval step stepID of executionID (item: the
// for_each item, or weft.WholeStep). Only the first decision counts: a
// second gets ErrUsed.
func (s *Service) Decide(ctx context.Context, executionID, stepID string, item int, d Decision) (Decision, error) {
	d.Decision = strings.ToLower(strings.TrimSpace(d.Decision))
	if d.Decision != "approve" && d.Decision != "reject" {
		return d, fmt.Errorf("decision %q: use approve or reject: %w", d.Decision, weft.ErrInvalid)
	}
	if len(d.Comment) > MaxCommentLen {
		return d, fmt.Errorf("comment is %d bytes, more than the limit of %d: %w", len(d.Comment), MaxCommentLen, weft.ErrInvalid)
	}
	if _, err := s.cfg.Store.GetEventWait(ctx, executionID, stepID, item); err != nil {
		if errors.Is(err, weft.ErrNotFound) {
			// A decision the step took already is "decided", even when the
			// execution has finished since: the caller repeated itself.
			if ev, terr := s.cfg.Store.TakenEvent(ctx, weft.StepRunID(executionID, stepID, item)); terr == nil && ev.Name == step.EventApproval {
				return d, fmt.Errorf("step %q of execution %s was decided already: %w", stepID, executionID, ErrUsed)
			}
			if gone := s.unfinished(ctx, executionID); gone != nil {
				return d, gone
			}
			return d, fmt.Errorf("step %q of execution %s is not waiting for an approval (decided already, or not started yet): %w",
				stepID, executionID, ErrUsed)
		}
		return d, err
	}
	d.At = s.cfg.Now().UTC()
	payload, err := json.Marshal(d)
	if err != nil {
		return d, err
	}
	key := step.ResumeKey(executionID, stepID, item)
	_, err = s.publish(ctx, step.EventApproval, key, payload, "approval:"+key)
	if errors.Is(err, weft.ErrDuplicate) {
		return d, fmt.Errorf("step %q of execution %s was decided already: %w", stepID, executionID, ErrUsed)
	}
	return d, err
}
