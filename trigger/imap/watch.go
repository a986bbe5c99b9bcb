package imap

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/weftworks/weft"
)

// errLost is returned when another process took the mailbox's claim.
var errLost = errors.New("another process took over this mailbox")

// cursor is the durable position in a mailbox.
type cursor struct {
	UIDValidity uint32 `json:"uidvalidity"`
	UID         uint32 `json:"uid"`
}

// claimKey is the poll-state row of a mailbox trigger: the workflow name
// prefixed, so it never meets an on.poll row (names have no colon).
func claimKey(wf string) string { return weft.IMAPPollKey(wf) }

// watch claims the trigger and runs sessions until ctx ends, reconnecting
// with exponential backoff.
func (m *Manager) watch(ctx context.Context, w *watcher) {
	log := m.cfg.Logger.With("workflow", w.workflow, "trigger", w.node.Index, "mailbox", w.node.Trigger.Mailbox)
	backoff := m.cfg.BackoffMin
	for ctx.Err() == nil {
		st, claimed, err := m.cfg.Store.ClaimPoll(ctx, claimKey(w.workflow), w.node.Index, m.cfg.Owner, m.cfg.Now(), m.cfg.Lease)
		if err != nil || !claimed {
			if err != nil && ctx.Err() == nil {
				log.Error("claiming a mailbox", "err", err)
			}
			w.holding.Store(false)
			sleep(ctx, m.cfg.Refresh)
			continue
		}
		w.holding.Store(true)
		s := &session{m: m, w: w, st: st, log: log}
		connected, err := s.run(ctx)
		now := m.cfg.Now()
		if ctx.Err() != nil {
			s.release(now)
			w.holding.Store(false)
			return
		}
		if connected {
			backoff = m.cfg.BackoffMin
		}
		w.health.failed(now, err)
		s.st.LastErrorAt, s.st.LastError = &now, err.Error()
		s.release(now)
		if errors.Is(err, errLost) {
			w.holding.Store(false)
		}
		log.Warn("mailbox connection lost; reconnecting", "err", err, "in", backoff)
		sleep(ctx, backoff)
		backoff = min(2*backoff, m.cfg.BackoffMax)
	}
}

// release stores the state and frees the claim, due again at once.
func (s *session) release(now time.Time) {
	s.st.NextPollAt = now
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := s.m.cfg.Store.FinishPoll(ctx, s.m.cfg.Owner, s.st); err != nil && !errors.Is(err, weft.ErrConflict) {
		s.log.Error("storing a mailbox cursor", "err", err)
	}
}

// renew stores the state (cursor included) and claims the mailbox again.
func (s *session) renew(ctx context.Context) error {
	now := s.m.cfg.Now()
	s.st.NextPollAt = now
	if err := s.m.cfg.Store.FinishPoll(ctx, s.m.cfg.Owner, s.st); err != nil {
		if errors.Is(err, weft.ErrConflict) {
			return errLost
		}
		return fmt.Errorf("storing the cursor: %w", err)
	}
	st, claimed, err := s.m.cfg.Store.ClaimPoll(ctx, claimKey(s.w.workflow), s.w.node.Index, s.m.cfg.Owner, now, s.m.cfg.Lease)
	if err != nil {
		return fmt.Errorf("renewing the claim: %w", err)
	}
	if !claimed {
		return errLost
	}
	s.st = st
	return nil
}

func (s *session) cursor() (cursor, bool) {
	var c cursor
	if len(s.st.Cursor) == 0 || json.Unmarshal(s.st.Cursor, &c) != nil || c.UIDValidity == 0 {
		return cursor{}, false
	}
	return c, true
}

func (s *session) setCursor(c cursor) {
	b, _ := json.Marshal(c)
	s.st.Cursor = b
}

func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}
