package storepg

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/store"
)

var _ store.Polls = (*Store)(nil)

const pollColumns = `workflow, idx, cursor, seen, next_poll_at, claim_owner, claim_until, last_poll_at,
	last_success_at, last_error_at, last_error, items_seen, paused_until`

// ClaimPoll implements store.Polls. The conditional UPDATE is the claim: of
// two processes that see the trigger due at once, one updates the row and
// the other finds the claim taken.
func (s *Store) ClaimPoll(ctx context.Context, workflow string, index int, owner string, now time.Time, lease time.Duration) (weft.PollState, bool, error) {
	if _, err := s.pool.Exec(ctx, "INSERT INTO poll_states (workflow, idx, next_poll_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
		workflow, index, ts(now)); err != nil {
		return weft.PollState{}, false, fmt.Errorf("claiming poll %s/%d: %w", workflow, index, err)
	}
	st, err := scanPoll(s.pool.QueryRow(ctx, `UPDATE poll_states SET claim_owner = $1, claim_until = $2
		WHERE workflow = $3 AND idx = $4 AND next_poll_at <= $5 AND (claim_until IS NULL OR claim_until <= $5)
		RETURNING `+pollColumns, owner, ts(now.Add(lease)), workflow, index, ts(now)))
	if err == nil {
		return st, true, nil
	}
	if !errors.Is(err, pgx.ErrNoRows) {
		return weft.PollState{}, false, fmt.Errorf("claiming poll %s/%d: %w", workflow, index, err)
	}
	st, err = scanPoll(s.pool.QueryRow(ctx, "SELECT "+pollColumns+" FROM poll_states WHERE workflow = $1 AND idx = $2", workflow, index))
	if err != nil {
		return weft.PollState{}, false, fmt.Errorf("reading poll %s/%d: %w", workflow, index, err)
	}
	return st, false, nil
}

// FinishPoll implements store.Polls.
func (s *Store) FinishPoll(ctx context.Context, owner string, st weft.PollState) error {
	seen := st.Seen
	if seen == nil {
		seen = []string{}
	}
	b, err := json.Marshal(seen)
	if err != nil {
		return fmt.Errorf("encoding seen ids: %w", err)
	}
	var cursor any
	if len(st.Cursor) > 0 {
		cursor = string(st.Cursor)
	}
	tag, err := s.pool.Exec(ctx, `UPDATE poll_states SET cursor = $1, seen = $2, next_poll_at = $3,
		claim_owner = '', claim_until = NULL, last_poll_at = $4, last_success_at = $5, last_error_at = $6, last_error = $7,
		items_seen = $8, paused_until = $9 WHERE workflow = $10 AND idx = $11 AND claim_owner = $12`,
		cursor, string(b), ts(st.NextPollAt), nullTime(st.LastPollAt), nullTime(st.LastSuccessAt), nullTime(st.LastErrorAt),
		st.LastError, st.ItemsSeen, nullTime(st.PausedUntil), st.Workflow, st.Index, owner)
	if err != nil {
		return fmt.Errorf("finishing poll %s/%d: %w", st.Workflow, st.Index, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("finishing poll %s/%d: the claim is held by another process: %w", st.Workflow, st.Index, weft.ErrConflict)
	}
	return nil
}

// ListPollStates implements store.Polls.
func (s *Store) ListPollStates(ctx context.Context) ([]weft.PollState, error) {
	rows, err := s.pool.Query(ctx, "SELECT "+pollColumns+" FROM poll_states ORDER BY workflow, idx")
	if err != nil {
		return nil, fmt.Errorf("listing poll states: %w", err)
	}
	defer rows.Close()
	var out []weft.PollState
	for rows.Next() {
		st, err := scanPoll(rows)
		if err != nil {
			return nil, fmt.Errorf("reading poll state: %w", err)
		}
		out = append(out, st)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("listing poll states: %w", err)
	}
	return out, nil
}

// DeletePollStates implements store.Polls.
func (s *Store) DeletePollStates(ctx context.Context, workflow string, fromIndex int) error {
	if _, err := s.pool.Exec(ctx, "DELETE FROM poll_states WHERE workflow = $1 AND idx >= $2", workflow, fromIndex); err != nil {
		return fmt.Errorf("deleting poll states of %s: %w", workflow, err)
	}
	return nil
}

func scanPoll(r pgx.Row) (weft.PollState, error) {
	var (
		st     weft.PollState
		cursor *string
		seen   string
	)
	if err := r.Scan(&st.Workflow, &st.Index, &cursor, &seen, &st.NextPollAt, &st.ClaimOwner, &st.ClaimUntil, &st.LastPollAt,
		&st.LastSuccessAt, &st.LastErrorAt, &st.LastError, &st.ItemsSeen, &st.PausedUntil); err != nil {
		return st, err
	}
	if cursor != nil {
		st.Cursor = json.RawMessage(*cursor)
	}
	if err := json.Unmarshal([]byte(seen), &st.Seen); err != nil {
		return st, fmt.Errorf("decoding seen ids: %w", err)
	}
	st.NextPollAt = st.NextPollAt.UTC()
	st.ClaimUntil, st.LastPollAt, st.LastSuccessAt = utcPtr(st.ClaimUntil), utcPtr(st.LastPollAt), utcPtr(st.LastSuccessAt)
	st.LastErrorAt, st.PausedUntil = utcPtr(st.LastErrorAt), utcPtr(st.PausedUntil)
	return st, nil
}
