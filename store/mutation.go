package store

import (
	"fmt"

	"github.com/weftworks/weft"
)

// Validate checks what can be checked without the database and returns the
// id of the execution the mutation writes. Every store calls it first.
func (m *Mutation) Validate() (string, error) {
	id := m.ExecutionID
	if m.Create != nil {
		if id == "" {
			id = m.Create.ID
		}
		if m.Create.ID == "" || m.Create.ID != id {
			return "", fmt.Errorf("mutation: Create.ID %q must be set and equal ExecutionID %q: %w", m.Create.ID, id, weft.ErrInvalid)
		}
		if !m.Create.Status.Valid() {
			return "", fmt.Errorf("mutation: Create.Status %q is not a known status: %w", m.Create.Status, weft.ErrInvalid)
		}
		if m.Create.Workflow == "" {
			return "", fmt.Errorf("mutation: Create.Workflow is empty: %w", weft.ErrInvalid)
		}
	} else if m.Dedupe != nil {
		return "", fmt.Errorf("mutation: Dedupe needs Create: %w", weft.ErrInvalid)
	}
	if id == "" {
		return "", fmt.Errorf("mutation: ExecutionID is empty: %w", weft.ErrInvalid)
	}
	if m.Dedupe != nil && (m.Dedupe.Scope == "" || m.Dedupe.Key == "") {
		return "", fmt.Errorf("mutation: Dedupe needs Scope and Key: %w", weft.ErrInvalid)
	}
	if p := m.Patch; p != nil {
		if p.Status != nil && !p.Status.Valid() {
			return "", fmt.Errorf("mutation: Patch.Status %q is not a known status: %w", *p.Status, weft.ErrInvalid)
		}
		if p.LeaseOwner != "" && p.LeaseUntil == nil {
			return "", fmt.Errorf("mutation: Patch.LeaseOwner needs LeaseUntil: %w", weft.ErrInvalid)
		}
	}
	for i := range m.StepRuns {
		r := &m.StepRuns[i]
		if r.ExecutionID != "" && r.ExecutionID != id {
			return "", fmt.Errorf("mutation: step run %q belongs to execution %q, not %q: %w", r.StepID, r.ExecutionID, id, weft.ErrInvalid)
		}
		if r.StepID == "" {
			return "", fmt.Errorf("mutation: step run with empty StepID: %w", weft.ErrInvalid)
		}
	}
	return id, nil
}
