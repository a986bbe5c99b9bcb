package store

import (
	"context"
	"time"

	"github.com/weftworks/weft"
)

// Registrations keeps the state of webhook subscriptions at providers
// (on.webhook.register): one row per workflow, claimed by one process at a
// time so two processes never register the same workflow at once.
type Registrations interface {
	// ClaimRegistration creates the workflow's row when it has none (state
	// pending, due at once) and claims it for owner until now+lease when it
	// is due and no live claim holds it. claimed reports whether owner got
	// it; the row is returned either way.
	ClaimRegistration(ctx context.Context, workflow, owner string, now time.Time, lease time.Duration) (reg weft.WebhookRegistration, claimed bool, err error)
	// FinishRegistration stores the outcome of a claimed registration and
	// releases the claim; weft.ErrConflict when owner no longer holds it.
	FinishRegistration(ctx context.Context, owner string, reg weft.WebhookRegistration) error
	// GetRegistration returns the workflow's row (weft.ErrNotFound if none).
	GetRegistration(ctx context.Context, workflow string) (weft.WebhookRegistration, error)
	// ListRegistrations returns every row, by workflow.
	ListRegistrations(ctx context.Context) ([]weft.WebhookRegistration, error)
	// DeleteRegistration drops the workflow's row if owner holds its claim.
	DeleteRegistration(ctx context.Context, workflow, owner string) error
}
