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

// DropRemovedPollStates drops the states of triggers removed from
// workflows that still exist: a version with fewer entries leaves the rows
// past its last entry, which nothing would poll or delete again (and a
// trigger added later at that index would inherit their cursor). triggers
// maps a state's workflow key to how many entries its workflow has now;
// keys not in it (disabled workflows, which keep their states for when they
// are enabled again) are left alone. A workflow with a row under a live
// claim (a poll of the old version still on its way, in this process or
// another) is left for a later call: the claim's FinishPoll would fail on a
// dropped row, and ClaimPoll would write it again. It returns the workflow
// keys it dropped states of.
func DropRemovedPollStates(ctx context.Context, p Polls, triggers map[string]int, now time.Time) ([]string, error) {
	states, err := p.ListPollStates(ctx)
	if err != nil {
		return nil, err
	}
	stale, busy := map[string]bool{}, map[string]bool{}
	for _, st := range states {
		n, ok := triggers[st.Workflow]
		if !ok || st.Index < n {
			continue
		}
		if st.ClaimOwner != "" && st.ClaimUntil != nil && st.ClaimUntil.After(now) {
			busy[st.Workflow] = true
			continue
		}
		stale[st.Workflow] = true
	}
	var dropped []string
	for wf := range stale {
		if busy[wf] {
			continue
		}
		if err := p.DeletePollStates(ctx, wf, triggers[wf]); err != nil {
			return dropped, err
		}
		dropped = append(dropped, wf)
	}
	return dropped, nil
}
