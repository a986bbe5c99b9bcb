package store

import (
	"context"
	"time"

	"github.com/weftworks/weft"
)

// Polls keeps the state of polling triggers: cursor, recently seen ids,
// next due time and liveness. A claim makes sure that among all processes
// on the database only one polls a trigger per interval.
type Polls interface {
	// ClaimPoll creates the trigger's state when it has none (due at once)
	// and claims it for owner until now+lease when it is due (NextPollAt
	// not after now) and no live claim holds it. claimed is false when it
	// is not due or another owner holds it; state is then the stored one.
	ClaimPoll(ctx context.Context, workflow string, index int, owner string, now time.Time, lease time.Duration) (state weft.PollState, claimed bool, err error)
	// FinishPoll stores the outcome of a claimed poll (cursor, seen ids,
	// next due time, liveness) and releases the claim. It fails with
	// weft.ErrConflict when owner no longer holds the claim.
	FinishPoll(ctx context.Context, owner string, st weft.PollState) error
	// ListPollStates returns every trigger's state, by workflow and index.
	ListPollStates(ctx context.Context) ([]weft.PollState, error)
	// DeletePollStates drops the states of workflow's triggers from index
	// on (a trigger that was removed).
	DeletePollStates(ctx context.Context, workflow string, fromIndex int) error
}
