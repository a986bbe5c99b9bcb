package e2e

import (
	"encoding/json"
	"fmt"
	"net"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapserver"
	"github.com/emersion/go-imap/v2/imapserver/imapmemserver"
)

const imapE2EWorkflow = `
name: mail
on:
  imap: { connection: box, mailbox: INBOX }
steps:
  - id: note
    uses: transform
    with: { subject: "{{ trigger.subject }}", from: "{{ trigger.from[0].address }}" }
`

// imapHost is go-imap's in-memory IMAP server, which can go away and come
// back on the same address.
type imapHost struct {
	user *imapmemserver.User
	mem  *imapmemserver.Server
	addr string
	srv  *imapserver.Server
}

func newIMAPHost(t *testing.T) *imapHost {
	t.Helper()
	h := &imapHost{mem: imapmemserver.New(), user: imapmemserver.NewUser("ann", "secret"), addr: "127.0.0.1:0"}
	if err := h.user.Create("INBOX", nil); err != nil {
		t.Fatal(err)
	}
	h.mem.AddUser(h.user)
	h.up(t)
	t.Cleanup(h.down)
	return h
}

func (h *imapHost) up(t *testing.T) {
	t.Helper()
	ln, err := net.Listen("tcp", h.addr)
	if err != nil {
		t.Fatal(err)
	}
	h.addr = ln.Addr().String()
	h.srv = imapserver.New(&imapserver.Options{
		NewSession: func(*imapserver.Conn) (imapserver.Session, *imapserver.GreetingData, error) {
			return idleFlush{h.mem.NewSession().(imapserver.SessionIMAP4rev2)}, nil, nil
		},
		InsecureAuth: true,
		Caps:         imap.CapSet{imap.CapIMAP4rev1: {}, imap.CapIMAP4rev2: {}},
	})
	go func() { _ = h.srv.Serve(ln) }()
}

func (h *imapHost) down() { _ = h.srv.Close() }

// idleFlush makes the in-memory server's IDLE start with the updates that
// are pending, as servers commonly do: go-imap's reports only those that arrive
// during IDLE, so a message delivered between a client's last command and
// its IDLE went unnoticed until the next delivery (seen under parallel load,
// where that gap is longer).
type idleFlush struct{ imapserver.SessionIMAP4rev2 }

func (s idleFlush) Idle(w *imapserver.UpdateWriter, stop <-chan struct{}) error {
	if err := s.Poll(w, true); err != nil {
		return err
	}
	return s.SessionIMAP4rev2.Idle(w, stop)
}

func (h *imapHost) deliver(t *testing.T, subject string) {
	t.Helper()
	raw := "From: Bob <bob@example.com>\r\nTo: ann@example.com\r\nSubject: " + subject + "\r\nContent-Type: text/plain\r\n\r\nhi\r\n"
	if _, err := h.user.Append("INBOX", imapLiteral{strings.NewReader(raw), int64(len(raw))}, &imap.AppendOptions{}); err != nil {
		t.Fatal(err)
	}
}

type imapLiteral struct {
	*strings.Reader
	n int64
}

func (l imapLiteral) Size() int64 { return l.n }

type imapHealth struct {
	Kind      string           `json:"kind"`
	Status    string           `json:"status"`
	Connected bool             `json:"connected"`
	LastError string           `json:"last_error"`
	Cursor    string           `json:"cursor"`
	Messages  map[string]int64 `json:"messages"`
}

func mailboxHealth(s *server) (imapHealth, int) {
	var out struct {
		Items     []imapHealth `json:"items"`
		Unhealthy int          `json:"unhealthy"`
	}
	_, _ = s.api("GET", "/api/v1/triggers", nil, &out)
	for _, h := range out.Items {
		if h.Kind == "imap" {
			return h, out.Unhealthy
		}
	}
	return imapHealth{}, out.Unhealthy
}

func mailSubjects(t *testing.T, s *server) map[string]int {
	t.Helper()
	var list struct {
		Items []struct {
			Trigger string          `json:"trigger"`
			Input   json.RawMessage `json:"input"`
		} `json:"items"`
	}
	if code, err := s.api("GET", "/api/v1/executions?workflow=mail&limit=500", nil, &list); err != nil || code != 200 {
		t.Fatalf("listing executions: %d %v", code, err)
	}
	out := map[string]int{}
	for _, ex := range list.Items {
		var in struct{ Subject string }
		_ = json.Unmarshal(ex.Input, &in)
		if ex.Trigger != "imap" {
			t.Fatalf("execution trigger = %q, want imap", ex.Trigger)
		}
		out[in.Subject]++
	}
	return out
}

// TestIMAPTriggerThroughServe: a weft serve process watches a mailbox of
// an imap connection (dialled through the SSRF guard with the
// connection's allow_private_net); each new message starts one
// execution; the mail server going away shows as unhealthy in GET
// /api/v1/triggers, and the trigger recovers when it is back, picking up
// the mail delivered meanwhile; a restart of weft duplicates nothing.
func TestIMAPTriggerThroughServe(t *testing.T) {
	t.Parallel()
	mail := newIMAPHost(t)
	mail.deliver(t, "before-start") // start: new skips it
	host, port, _ := net.SplitHostPort(mail.addr)
	wfDir, data := t.TempDir(), t.TempDir()
	writeWorkflow(t, wfDir, "mail", imapE2EWorkflow)
	s := startServer(t, nil, "--data", data, "--workflows", wfDir)
	putCredential(t, s, "box", map[string]any{"type": "imap", "data": map[string]any{
		"host": host, "port": port, "username": "ann", "password": "secret", "tls": "none"},
		"allow_private_net": []string{"127.0.0.0/8"}})
	eventually(t, 20*time.Second, "connected", func() bool { h, _ := mailboxHealth(s); return h.Connected && h.Status == "ok" })
	mail.deliver(t, "one")
	mail.deliver(t, "two")
	eventually(t, 20*time.Second, "two executions", func() bool { return len(mailSubjects(t, s)) == 2 })

	mail.down()
	eventually(t, 20*time.Second, "unhealthy", func() bool {
		h, unhealthy := mailboxHealth(s)
		return h.Status == "error" && !h.Connected && h.LastError != "" && unhealthy >= 1
	})
	mail.deliver(t, "while-down")
	mail.up(t)
	eventually(t, 30*time.Second, "recovered", func() bool { h, _ := mailboxHealth(s); return h.Status == "ok" })
	eventually(t, 20*time.Second, "the message delivered while down", func() bool { return mailSubjects(t, s)["while-down"] == 1 })

	// A graceful stop releases the mailbox at once (a crash frees it when
	// the lease ends; the unit tests cover the crash).
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	<-s.done
	s2 := startServer(t, nil, "--data", data, "--workflows", wfDir)
	mail.deliver(t, "after-restart")
	eventually(t, 30*time.Second, "the message after the restart", func() bool { return mailSubjects(t, s2)["after-restart"] == 1 })
	got := mailSubjects(t, s2)
	want := []string{"one", "two", "while-down", "after-restart"}
	for _, subj := range want {
		if got[subj] != 1 {
			t.Fatalf("%s started %d executions (all %v)", subj, got[subj], got)
		}
	}
	if len(got) != len(want) {
		t.Fatalf("executions %v, want %v", got, want)
	}
	if h, _ := mailboxHealth(s2); !strings.Contains(h.Cursor, fmt.Sprintf("uid %d", 5)) {
		t.Fatalf("cursor = %q, want uid 5", h.Cursor)
	}
}
