package imap

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"slices"
	"strconv"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/engine"
	"github.com/weftworks/weft/store"
)

// session is one connection to the mailbox while holding its claim.
type session struct {
	m   *Manager
	w   *watcher
	st  weft.PollState
	log *slog.Logger
	c   *imapclient.Client
}

// run connects, selects the mailbox, and fetches new messages until the
// connection fails or ctx ends. connected says whether it got that far.
func (s *session) run(ctx context.Context) (connected bool, err error) {
	t := s.w.node.Trigger
	cred, err := s.m.cfg.Connections.Get(ctx, s.w.workflow, t.Connection)
	if err != nil {
		return false, fmt.Errorf("reading connection %q: %w", t.Connection, err)
	}
	if cred.Type != "imap" {
		return false, fmt.Errorf("connection %q is of type %s; on.imap needs an imap connection", t.Connection, cred.Type)
	}
	d := cred.Data
	port := d["port"]
	if port == "" {
		port = "993"
	}
	if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
		return false, fmt.Errorf("connection %q: port %q is not a TCP port", t.Connection, port)
	}
	dial, err := s.m.cfg.Connections.Dialer(ctx, s.w.workflow, t.Connection)
	if err != nil {
		return false, fmt.Errorf("connection %q: %w", t.Connection, err)
	}
	dctx, cancel := context.WithTimeout(ctx, s.m.cfg.Watchdog)
	conn, err := dial(dctx, "tcp", net.JoinHostPort(d["host"], port))
	cancel()
	if err != nil {
		return false, fmt.Errorf("dialling %s: %w", d["host"], err)
	}
	notify := make(chan struct{}, 1)
	opts := &imapclient.Options{
		TLSConfig: &tls.Config{ServerName: d["host"], MinVersion: tls.VersionTLS12},
		UnilateralDataHandler: &imapclient.UnilateralDataHandler{Mailbox: func(data *imapclient.UnilateralDataMailbox) {
			if data.NumMessages != nil {
				select {
				case notify <- struct{}{}:
				default:
				}
			}
		}},
	}
	switch d["tls"] {
	case "starttls":
		if s.c, err = imapclient.NewStartTLS(conn, opts); err != nil {
			conn.Close()
			return false, fmt.Errorf("STARTTLS with %s: %w", d["host"], err)
		}
	case "none":
		s.c = imapclient.New(conn, opts)
	default:
		s.c = imapclient.New(tls.Client(conn, opts.TLSConfig), opts)
	}
	defer s.c.Close()
	stop := context.AfterFunc(ctx, func() { s.c.Close() })
	defer stop()
	if err := s.within("the greeting", s.c.WaitGreeting); err != nil {
		return false, err
	}
	if err := s.within("LOGIN", s.c.Login(d["username"], d["password"]).Wait); err != nil {
		return false, err
	}
	var sel *imap.SelectData
	if err := s.within("SELECT", func() (err error) { sel, err = s.c.Select(t.Mailbox, nil).Wait(); return err }); err != nil {
		return false, err
	}
	now := s.m.cfg.Now()
	s.w.health.connected(now)
	cur, ok := s.cursor()
	switch {
	case ok && cur.UIDValidity != sel.UIDValidity:
		s.log.Warn("the mailbox's UIDVALIDITY changed; starting again from its next message", "was", cur.UIDValidity, "now", sel.UIDValidity)
		cur = cursor{UIDValidity: sel.UIDValidity, UID: uint32(sel.UIDNext) - 1}
	case !ok && t.Start == "all":
		cur = cursor{UIDValidity: sel.UIDValidity}
	case !ok:
		cur = cursor{UIDValidity: sel.UIDValidity, UID: uint32(sel.UIDNext) - 1}
	}
	s.setCursor(cur)
	s.st.LastSuccessAt, s.st.LastPollAt = &now, &now
	if err := s.renew(ctx); err != nil {
		return true, err
	}
	for {
		more, err := s.fetchNew(ctx, &cur)
		if err != nil {
			return true, err
		}
		now := s.m.cfg.Now()
		s.st.LastPollAt, s.st.LastSuccessAt = &now, &now
		if err := s.renew(ctx); err != nil {
			return true, err
		}
		if more {
			continue
		}
		if err := s.wait(ctx, notify); err != nil {
			return true, err
		}
	}
}

// wait idles (or sleeps poll_every without IDLE) until the server says a
// message arrived or the keepalive is due, then checks with NOOP that the
// server still answers.
func (s *session) wait(ctx context.Context, notify chan struct{}) error {
	t := s.w.node.Trigger
	if s.c.Caps().Has(imap.CapIdle) {
		var idle *imapclient.IdleCommand
		// Idle waits for the server's go-ahead: watched like any command.
		if err := s.within("IDLE", func() (err error) { idle, err = s.c.Idle(); return err }); err != nil {
			return err
		}
		timer := time.NewTimer(s.m.cfg.Idle)
		select {
		case <-ctx.Done():
		case <-notify:
		case <-timer.C:
		case <-s.c.Closed():
		}
		timer.Stop()
		if err := s.within("the end of IDLE", func() error {
			if err := idle.Close(); err != nil {
				return err
			}
			return idle.Wait()
		}); err != nil {
			return err
		}
	} else {
		timer := time.NewTimer(t.PollEvery.D())
		select {
		case <-ctx.Done():
		case <-notify:
		case <-timer.C:
		case <-s.c.Closed(): // a dropped connection is noticed now, not at the next poll
		}
		timer.Stop()
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return s.within("NOOP", s.c.Noop().Wait)
}

// within runs f, closing the connection when the server does not answer
// within the watchdog bound.
func (s *session) within(what string, f func() error) error {
	done := make(chan error, 1)
	go func() { done <- f() }()
	timer := time.NewTimer(s.m.cfg.Watchdog)
	defer timer.Stop()
	select {
	case err := <-done:
		if err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
		return nil
	case <-timer.C:
		s.c.Close()
		<-done
		return fmt.Errorf("%s: the server did not answer within %s; reconnecting", what, s.m.cfg.Watchdog)
	}
}

// fetchNew starts an execution for each message after the cursor, at
// most max_per_cycle of them, moving the cursor past each once its
// execution is on disk. more says whether messages remain.
func (s *session) fetchNew(ctx context.Context, cur *cursor) (more bool, err error) {
	t := s.w.node.Trigger
	var found *imap.SearchData
	crit := &imap.SearchCriteria{UID: []imap.UIDSet{{imap.UIDRange{Start: imap.UID(cur.UID + 1), Stop: 0}}}}
	if err := s.within("UID SEARCH", func() (err error) { found, err = s.c.UIDSearch(crit, nil).Wait(); return err }); err != nil {
		return false, err
	}
	var uids []imap.UID
	for _, u := range found.AllUIDs() {
		if uint32(u) > cur.UID { // n:* also answers the last message when n is past it
			uids = append(uids, u)
		}
	}
	slices.Sort(uids)
	pending := len(uids)
	if len(uids) > t.MaxPerCycle {
		uids, more = uids[:t.MaxPerCycle], true
	}
	opts := &imap.FetchOptions{UID: true, Envelope: true, RFC822Size: true, BodyStructure: &imap.FetchItemBodyStructure{},
		BodySection: []*imap.FetchItemBodySection{{Peek: true, Partial: &imap.SectionPartial{Size: int64(s.m.cfg.MaxMessageBytes)}}}}
	for i, uid := range uids {
		var msgs []*imapclient.FetchMessageBuffer
		if err := s.within("UID FETCH", func() (err error) {
			msgs, err = s.c.Fetch(imap.UIDSetNum(uid), opts).Collect()
			return err
		}); err != nil {
			return false, err
		}
		for _, msg := range msgs {
			if msg.UID != uid {
				continue
			}
			if err := s.start(ctx, cur.UIDValidity, msg); err != nil {
				return false, err
			}
		}
		cur.UID = uint32(uid) // a message expunged meanwhile is passed over
		s.setCursor(*cur)
		s.w.health.cursor(cur.UIDValidity, cur.UID, int64(pending-i-1))
	}
	s.w.health.cursor(cur.UIDValidity, cur.UID, int64(pending-len(uids)))
	return more, nil
}

// start creates the message's execution, deduped by (mailbox,
// uidvalidity, uid).
func (s *session) start(ctx context.Context, validity uint32, msg *imapclient.FetchMessageBuffer) error {
	t := s.w.node.Trigger
	in, err := json.Marshal(input(msg, t.Mailbox, validity, s.m.cfg.MaxMessageBytes, s.m.cfg.MaxTextBytes))
	if err != nil {
		return fmt.Errorf("encoding message %d: %w", msg.UID, err)
	}
	now := s.m.cfg.Now()
	res, err := s.m.cfg.Engine.Start(ctx, engine.StartRequest{
		Workflow: s.w.workflow, Input: in, Trigger: weft.TriggerIMAP,
		Dedupe: &store.DedupeKey{Scope: "imap:" + s.w.workflow,
			Key:       fmt.Sprintf("%d:%s:%d:%d", s.w.node.Index, t.Mailbox, validity, msg.UID),
			ExpiresAt: now.Add(s.m.cfg.DedupeTTL)},
	})
	if err != nil {
		return fmt.Errorf("starting the execution of message %d: %w", msg.UID, err)
	}
	outcome := "started"
	if res.Duplicate {
		outcome = "duplicate"
	} else {
		s.st.ItemsSeen++
	}
	s.w.health.message(now, outcome)
	return nil
}
