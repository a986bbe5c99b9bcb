package storesqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/store"
)

var _ store.Polls = (*Store)(nil)

const pollColumns = `workflow, idx, cursor, seen, next_poll_at, claim_owner, claim_until, last_poll_at,
	last_success_at, last_error_at, last_error, items_seen, paused_until`

// ClaimPoll implements store.Polls.
func (s *Store) ClaimPoll(ctx context.Context, workflow string, index int, owner string, now time.Time, lease time.Duration) (weft.PollState, bool, error) {
	var st weft.PollState
	claimed := false
	err := s.do(ctx, func(w *writer, _ time.Time) error {
		if _, err := w.conn.ExecContext(w.ctx, "INSERT OR IGNORE INTO poll_states (workflow, idx, next_poll_at) VALUES (?, ?, ?)",
			workflow, index, micros(now)); err != nil {
			return err
		}
		res, err := w.conn.ExecContext(w.ctx, `UPDATE poll_states SET claim_owner = ?, claim_until = ?
			WHERE workflow = ? AND idx = ? AND next_poll_at <= ? AND (claim_until IS NULL OR claim_until <= ?)`,
			owner, micros(now.Add(lease)), workflow, index, micros(now), micros(now))
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		if err != nil {
			return err
		}
		claimed = n == 1
		st, err = scanPoll(w.conn.QueryRowContext(w.ctx, "SELECT "+pollColumns+" FROM poll_states WHERE workflow = ? AND idx = ?", workflow, index))
		return err
	})
	if err != nil {
		return weft.PollState{}, false, fmt.Errorf("claiming poll %s/%d: %w", workflow, index, err)
	}
	return st, claimed, nil
}

// FinishPoll implements store.Polls.
func (s *Store) FinishPoll(ctx context.Context, owner string, st weft.PollState) error {
	seen, err := json.Marshal(nonNil(st.Seen))
	if err != nil {
		return fmt.Errorf("encoding seen ids: %w", err)
	}
	var cursor any
	if len(st.Cursor) > 0 {
		cursor = string(st.Cursor)
	}
	err = s.do(ctx, func(w *writer, _ time.Time) error {
		res, err := w.conn.ExecContext(w.ctx, `UPDATE poll_states SET cursor = ?, seen = ?, next_poll_at = ?,
			claim_owner = '', claim_until = NULL, last_poll_at = ?, last_success_at = ?, last_error_at = ?, last_error = ?,
			items_seen = ?, paused_until = ? WHERE workflow = ? AND idx = ? AND claim_owner = ?`,
			cursor, string(seen), micros(st.NextPollAt), nullMicros(st.LastPollAt), nullMicros(st.LastSuccessAt),
			nullMicros(st.LastErrorAt), st.LastError, st.ItemsSeen, nullMicros(st.PausedUntil), st.Workflow, st.Index, owner)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			return errors.Join(err, fmt.Errorf("the claim is held by another process: %w", weft.ErrConflict))
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("finishing poll %s/%d: %w", st.Workflow, st.Index, err)
	}
	return nil
}

// ListPollStates implements store.Polls.
func (s *Store) ListPollStates(ctx context.Context) ([]weft.PollState, error) {
	rows, err := s.rdb.QueryContext(ctx, "SELECT "+pollColumns+" FROM poll_states ORDER BY workflow, idx")
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
	err := s.do(ctx, func(w *writer, _ time.Time) error {
		_, err := w.conn.ExecContext(w.ctx, "DELETE FROM poll_states WHERE workflow = ? AND idx >= ?", workflow, fromIndex)
		return err
	})
	if err != nil {
		return fmt.Errorf("deleting poll states of %s: %w", workflow, err)
	}
	return nil
}

func scanPoll(r interface{ Scan(...any) error }) (weft.PollState, error) {
	var (
		st                                        weft.PollState
		cursor                                    sql.NullString
		seen                                      string
		next                                      int64
		claimUntil, last, success, failed, paused sql.NullInt64
	)
	if err := r.Scan(&st.Workflow, &st.Index, &cursor, &seen, &next, &st.ClaimOwner, &claimUntil, &last,
		&success, &failed, &st.LastError, &st.ItemsSeen, &paused); err != nil {
		return st, err
	}
	if cursor.Valid {
		st.Cursor = json.RawMessage(cursor.String)
	}
	if err := json.Unmarshal([]byte(seen), &st.Seen); err != nil {
		return st, fmt.Errorf("decoding seen ids: %w", err)
	}
	st.NextPollAt = fromMicros(next)
	st.ClaimUntil, st.LastPollAt, st.LastSuccessAt = timePtr(claimUntil), timePtr(last), timePtr(success)
	st.LastErrorAt, st.PausedUntil = timePtr(failed), timePtr(paused)
	return st, nil
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
