package imap_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapserver"
	"github.com/emersion/go-imap/v2/imapserver/imapmemserver"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/connectors/standard"
	"github.com/weftworks/weft/engine"
	"github.com/weftworks/weft/step"
	"github.com/weftworks/weft/store"
	"github.com/weftworks/weft/store/storesqlite"
	weftimap "github.com/weftworks/weft/trigger/imap"
	"github.com/weftworks/weft/trigger/queue"
	"github.com/weftworks/weft/trigger/queue/queuetest"
)

const wfSource = `
name: mail
on:
  imap: { connection: box, mailbox: INBOX, max_per_cycle: 3 }
steps:
  - id: note
    uses: transform
    with: { subject: "{{ trigger.subject }}" }
`

// mailServer is go-imap's in-memory IMAP server on 127.0.0.1.
type mailServer struct {
	user *imapmemserver.User
	srv  *imapserver.Server
	addr string
}

func newMailServer(t *testing.T) *mailServer {
	t.Helper()
	mem := imapmemserver.New()
	user := imapmemserver.NewUser("ann", "secret")
	if err := user.Create("INBOX", nil); err != nil {
		t.Fatal(err)
	}
	mem.AddUser(user)
	srv := imapserver.New(&imapserver.Options{
		NewSession: func(*imapserver.Conn) (imapserver.Session, *imapserver.GreetingData, error) {
			return mem.NewSession(), nil, nil
		},
		InsecureAuth: true,
		Caps:         imap.CapSet{imap.CapIMAP4rev1: {}, imap.CapIMAP4rev2: {}},
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	return &mailServer{user: user, srv: srv, addr: ln.Addr().String()}
}

// deliver appends messages with the given subjects to INBOX.
func (m *mailServer) deliver(t *testing.T, body string, subjects ...string) {
	t.Helper()
	for _, s := range subjects {
		raw := "From: Bob <bob@example.com>\r\nTo: ann@example.com\r\nSubject: " + s +
			"\r\nMessage-Id: <" + s + "@example.com>\r\nContent-Type: text/plain\r\n\r\nhello " + s + body + "\r\n"
		if _, err := m.user.Append("INBOX", literal{strings.NewReader(raw), int64(len(raw))}, &imap.AppendOptions{}); err != nil {
			t.Fatal(err)
		}
	}
}

type literal struct {
	*strings.Reader
	n int64
}

func (l literal) Size() int64 { return l.n }

type bundle struct {
	st  *storesqlite.Store
	reg *step.Registry
}

func setup(t *testing.T) *bundle {
	t.Helper()
	st, err := storesqlite.Open(context.Background(), filepath.Join(t.TempDir(), "weft.db"), storesqlite.Options{Synchronous: storesqlite.SyncNormal})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	reg := step.NewRegistry()
	if err := standard.Register(reg); err != nil {
		t.Fatal(err)
	}
	if _, _, err := st.PutWorkflow(context.Background(), weft.WorkflowRecord{Name: "mail", Source: wfSource, Enabled: true}); err != nil {
		t.Fatal(err)
	}
	return &bundle{st: st, reg: reg}
}

// start runs one process (engine + manager) dialling addr until stop.
func (b *bundle) start(t *testing.T, owner, addr string, tweak func(*weftimap.Config)) (*weftimap.Manager, func()) {
	t.Helper()
	host, port, _ := net.SplitHostPort(addr)
	eng, err := engine.New(engine.Config{Store: b.st, Registry: b.reg, Owner: owner, PollInterval: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	cfg := weftimap.Config{Engine: eng, Store: b.st, Owner: owner, Refresh: 50 * time.Millisecond,
		Connections: queuetest.Creds{C: step.Credential{Type: "imap", Data: map[string]string{
			"host": host, "port": port, "username": "ann", "password": "secret", "tls": "none"}}, Allow: queuetest.Loopback},
		Idle: 200 * time.Millisecond, Watchdog: time.Second, BackoffMin: 20 * time.Millisecond, BackoffMax: 200 * time.Millisecond}
	if tweak != nil {
		tweak(&cfg)
	}
	m, err := weftimap.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); _ = eng.Run(ctx) }()
	go func() { defer wg.Done(); _ = m.Run(ctx) }()
	var once sync.Once
	stop := func() { once.Do(func() { cancel(); wg.Wait() }) }
	t.Cleanup(stop)
	return m, stop
}

// subjects counts the started executions by subject.
func (b *bundle) subjects(t *testing.T) map[string]int {
	t.Helper()
	list, _, err := b.st.ListExecutions(context.Background(), store.ExecutionFilter{Workflow: "mail", Page: store.Page{Limit: 1000}})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int{}
	for _, ex := range list {
		if ex.Trigger != weft.TriggerIMAP {
			t.Fatalf("trigger = %s", ex.Trigger)
		}
		var in struct{ Subject string }
		if err := json.Unmarshal(ex.Input, &in); err != nil {
			t.Fatal(err)
		}
		out[in.Subject]++
	}
	return out
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	waitWithin(t, 10*time.Second, what, cond)
}

func waitWithin(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func health(m *weftimap.Manager) queue.Health {
	if h := m.Health(); len(h) == 1 {
		return h[0]
	}
	return queue.Health{}
}

func wantOnce(t *testing.T, got map[string]int, subjects ...string) {
	t.Helper()
	for _, s := range subjects {
		if got[s] != 1 {
			t.Fatalf("%s started %d executions, want 1 (all: %v)", s, got[s], got)
		}
	}
	if len(got) != len(subjects) {
		t.Fatalf("executions for %v, want exactly %v", got, subjects)
	}
}

// Messages already in the mailbox at the first start are skipped (start:
// new); each one delivered afterwards starts one execution, more than
// max_per_cycle at once included; a restart resumes from the cursor.
func TestNewMessagesStartOnceAndRestartResumes(t *testing.T) {
	t.Parallel()
	b, ms := setup(t), newMailServer(t)
	ms.deliver(t, "", "old-1", "old-2")
	m, stop := b.start(t, "p1", ms.addr, nil)
	waitFor(t, "connected", func() bool { return health(m).Connected })
	ms.deliver(t, "", "a", "b", "c", "d", "e")
	waitFor(t, "five executions", func() bool { return len(b.subjects(t)) == 5 })
	// The watcher counts a message and moves its cursor after its
	// execution is stored: wait for both.
	waitFor(t, "five messages counted", func() bool {
		h := health(m)
		return h.Messages["started"] == 5 && strings.Contains(h.Cursor, "uid 7")
	})
	h := health(m)
	if h.Kind != "imap" || h.Status != queue.StatusOK || h.Messages["started"] != 5 || h.LastMessageAt == nil || !strings.Contains(h.Cursor, "uid 7") {
		t.Fatalf("health = %+v", h)
	}
	stop()
	ms.deliver(t, "", "f", "g")
	m2, _ := b.start(t, "p2", ms.addr, nil)
	waitFor(t, "seven executions", func() bool { return len(b.subjects(t)) == 7 })
	time.Sleep(300 * time.Millisecond) // another idle cycle: nothing more may start
	wantOnce(t, b.subjects(t), "a", "b", "c", "d", "e", "f", "g")
	if d := health(m2).Messages["duplicate"]; d != 0 {
		t.Fatalf("%d duplicates after a clean restart: the cursor was not stored", d)
	}
}

// A crash between starting an execution and storing the cursor fetches
// the message again; its dedupe key refuses a second execution.
func TestLostCursorDuplicatesNothing(t *testing.T) {
	t.Parallel()
	b, ms := setup(t), newMailServer(t)
	m, stop := b.start(t, "p1", ms.addr, nil)
	waitFor(t, "connected", func() bool { return health(m).Connected })
	ms.deliver(t, "", "a", "b")
	waitFor(t, "two executions", func() bool { return len(b.subjects(t)) == 2 })
	stop()
	// Wind the stored cursor back, as if the process died before saving.
	st, claimed, err := b.st.ClaimPoll(context.Background(), "imap:mail", 0, "rewind", time.Now(), time.Second)
	if err != nil || !claimed {
		t.Fatalf("claim = %v, %v", claimed, err)
	}
	var c map[string]uint32
	_ = json.Unmarshal(st.Cursor, &c)
	st.Cursor = []byte(fmt.Sprintf(`{"uidvalidity":%d,"uid":0}`, c["uidvalidity"]))
	if err := b.st.FinishPoll(context.Background(), "rewind", st); err != nil {
		t.Fatal(err)
	}
	m2, _ := b.start(t, "p2", ms.addr, nil)
	waitFor(t, "the refetch", func() bool { return health(m2).Messages["duplicate"] == 2 })
	wantOnce(t, b.subjects(t), "a", "b")
}

// The server goes away: the trigger turns unhealthy with the error, and
// recovers by itself when the server is back, without losing mail
// delivered meanwhile.
func TestServerGoneUnhealthyThenRecovers(t *testing.T) {
	t.Parallel()
	b, ms := setup(t), newMailServer(t)
	proxy := queuetest.NewProxy(t, ms.addr)
	m, _ := b.start(t, "p1", proxy.Addr(), nil)
	waitFor(t, "connected", func() bool { return health(m).Connected })
	proxy.Restart(time.Second)
	waitFor(t, "unhealthy", func() bool { h := health(m); return h.Status == queue.StatusError && !h.Connected && h.LastError != "" })
	ms.deliver(t, "", "while-down")
	waitFor(t, "recovered", func() bool { return health(m).Status == queue.StatusOK })
	waitFor(t, "the message delivered while down", func() bool { return b.subjects(t)["while-down"] == 1 })
	if h := health(m); h.Reconnects < 1 {
		t.Fatalf("reconnects = %d", h.Reconnects)
	}
}

// A server that stops answering (the connection stays open) trips the
// watchdog: unhealthy, then reconnected.
func TestSilentServerTripsWatchdog(t *testing.T) {
	t.Parallel()
	b, ms := setup(t), newMailServer(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	silent := false
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			up, err := net.Dial("tcp", ms.addr)
			if err != nil {
				c.Close()
				continue
			}
			go func() { // server → client stops when silent
				buf := make([]byte, 4096)
				for {
					n, err := up.Read(buf)
					if err != nil {
						c.Close()
						return
					}
					mu.Lock()
					s := silent
					mu.Unlock()
					if !s {
						_, _ = c.Write(buf[:n])
					}
				}
			}()
			go func() {
				buf := make([]byte, 4096)
				for {
					n, err := c.Read(buf)
					if err != nil {
						up.Close()
						return
					}
					_, _ = up.Write(buf[:n])
				}
			}()
		}
	}()
	t.Cleanup(func() { ln.Close() })
	m, _ := b.start(t, "p1", ln.Addr().String(), nil)
	waitFor(t, "connected", func() bool { return health(m).Connected })
	mu.Lock()
	silent = true
	mu.Unlock()
	waitFor(t, "the watchdog", func() bool {
		return strings.Contains(health(m).LastError, "did not answer within") && health(m).Status == queue.StatusError
	})
	mu.Lock()
	silent = false
	mu.Unlock()
	waitFor(t, "reconnected", func() bool { return health(m).Status == queue.StatusOK })
}

// Hostile mailbox: 2000 messages at the first start cost nothing (start:
// new); a 50 MB message is read only up to MaxMessageBytes and says so.
func TestHostileMailboxBounded(t *testing.T) {
	t.Parallel()
	b, ms := setup(t), newMailServer(t)
	subjects := make([]string, 2000)
	for i := range subjects {
		subjects[i] = fmt.Sprint("bulk-", i)
	}
	ms.deliver(t, "", subjects...)
	m, _ := b.start(t, "p1", ms.addr, func(c *weftimap.Config) {
		c.MaxMessageBytes, c.Watchdog = 64<<10, 30*time.Second
	})
	waitFor(t, "connected", func() bool { return health(m).Connected })
	ms.deliver(t, strings.Repeat("x", 50<<20), "huge")
	// The in-memory server parses the whole 50 MB message for each FETCH
	// (slow under -race); the watchdog allows for it.
	waitWithin(t, time.Minute, "the huge message", func() bool { return len(b.subjects(t)) == 1 })
	list, _, _ := b.st.ListExecutions(context.Background(), store.ExecutionFilter{Workflow: "mail", Page: store.Page{Limit: 10}})
	var in struct {
		Subject   string
		Text      string
		Truncated bool
		Note      string
		Size      int64
	}
	if err := json.Unmarshal(list[0].Input, &in); err != nil {
		t.Fatal(err)
	}
	if in.Subject != "huge" || !in.Truncated || in.Note == "" || len(in.Text) > 64<<10 || in.Size < 50<<20 {
		t.Fatalf("huge message input: subject %q truncated %v note %q text %d bytes size %d", in.Subject, in.Truncated, in.Note, len(in.Text), in.Size)
	}
	if n := len(list[0].Input); n > 200<<10 {
		t.Fatalf("input of %d bytes from a 50 MB message", n)
	}
}

// Two processes on one database: one watches the mailbox, the other
// stands by and takes over from the cursor when the first stops.
func TestOneWatcherPerMailbox(t *testing.T) {
	t.Parallel()
	b, ms := setup(t), newMailServer(t)
	m1, stop1 := b.start(t, "p1", ms.addr, nil)
	m2, stop2 := b.start(t, "p2", ms.addr, nil)
	waitFor(t, "one watcher connected", func() bool { return health(m1).Connected || health(m2).Connected })
	time.Sleep(300 * time.Millisecond)
	if len(m1.Health()) == 1 && len(m2.Health()) == 1 {
		t.Fatal("both processes watch the mailbox")
	}
	stopFirst, other := stop1, m2
	if len(m1.Health()) == 0 {
		stopFirst, other = stop2, m1
	}
	ms.deliver(t, "", "a", "b")
	waitFor(t, "two executions", func() bool { return len(b.subjects(t)) == 2 })
	stopFirst()
	ms.deliver(t, "", "c")
	waitFor(t, "the take-over", func() bool { return health(other).Connected })
	waitFor(t, "c", func() bool { return b.subjects(t)["c"] == 1 })
	wantOnce(t, b.subjects(t), "a", "b", "c")
}

// A UIDVALIDITY change (the stored cursor belongs to an older mailbox)
// resets the cursor to UIDNEXT: nothing already there is replayed, new
// mail starts executions.
func TestUIDValidityChangeResetsToUIDNext(t *testing.T) {
	t.Parallel()
	b, ms := setup(t), newMailServer(t)
	ms.deliver(t, "", "old-1", "old-2")
	st, claimed, err := b.st.ClaimPoll(context.Background(), "imap:mail", 0, "seed", time.Now(), time.Second)
	if err != nil || !claimed {
		t.Fatalf("claim = %v, %v", claimed, err)
	}
	st.Cursor = []byte(`{"uidvalidity":4242,"uid":0}`)
	if err := b.st.FinishPoll(context.Background(), "seed", st); err != nil {
		t.Fatal(err)
	}
	m, _ := b.start(t, "p1", ms.addr, nil)
	waitFor(t, "connected", func() bool { return health(m).Connected && strings.Contains(health(m).Cursor, "uid 2") })
	if strings.Contains(health(m).Cursor, "4242") {
		t.Fatalf("cursor %q kept the old UIDVALIDITY", health(m).Cursor)
	}
	ms.deliver(t, "", "new")
	waitFor(t, "new", func() bool { return b.subjects(t)["new"] == 1 })
	time.Sleep(300 * time.Millisecond)
	wantOnce(t, b.subjects(t), "new")
}

// Deleting a workflow drops its mailbox trigger's state, also when its
// watcher, still running until the next refresh, claimed the row again
// after the delete. The test runs the refreshes itself (the manager's own
// come once an hour): with refreshes on a timer, one could see the delete
// and drop the state before the test's claim, which then stayed.
func TestDeletedWorkflowLeavesNoState(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	b, ms := setup(t), newMailServer(t)
	m, _ := b.start(t, "p1", ms.addr, func(c *weftimap.Config) { c.Refresh = time.Hour })
	waitFor(t, "connected", func() bool { return health(m).Connected })
	if list, err := b.st.ListPollStates(ctx); err != nil || len(list) != 1 || list[0].Workflow != weft.IMAPPollKey("mail") {
		t.Fatalf("states while connected: %+v, %v", list, err)
	}
	if err := b.st.DeleteWorkflow(ctx, "mail"); err != nil {
		t.Fatal(err)
	}
	// The watcher renews its claim before the manager sees the delete.
	if _, _, err := b.st.ClaimPoll(ctx, weft.IMAPPollKey("mail"), 0, "p1", time.Now(), time.Minute); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the watcher to stop and its row to be dropped", func() bool {
		if err := m.Refresh(ctx); err != nil {
			t.Fatal(err)
		}
		list, err := b.st.ListPollStates(ctx)
		return err == nil && len(list) == 0 && len(m.Health()) == 0
	})
	for range 3 { // a few more refreshes: nothing claims the row again
		if err := m.Refresh(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if list, _ := b.st.ListPollStates(ctx); len(list) != 0 {
		t.Fatalf("states after the delete: %+v", list)
	}
}

// TestRemovedTriggerLeavesNoState: a new version of a workflow with fewer
// on.imap entries drops the state of the removed entry once its watcher
// stopped, and keeps the state of the one that stays.
func TestRemovedTriggerLeavesNoState(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	b, ms := setup(t), newMailServer(t)
	if err := ms.user.Create("Sent", nil); err != nil {
		t.Fatal(err)
	}
	two := strings.Replace(wfSource, "  imap: { connection: box, mailbox: INBOX, max_per_cycle: 3 }",
		"  imap:\n    - { connection: box, mailbox: INBOX, max_per_cycle: 3 }\n    - { connection: box, mailbox: Sent }", 1)
	if _, _, err := b.st.PutWorkflow(ctx, weft.WorkflowRecord{Name: "mail", Source: two, Enabled: true}); err != nil {
		t.Fatal(err)
	}
	m, _ := b.start(t, "p1", ms.addr, nil)
	waitFor(t, "both watchers' states", func() bool {
		list, err := b.st.ListPollStates(ctx)
		return err == nil && len(list) == 2 && len(m.Health()) == 2
	})
	if _, _, err := b.st.PutWorkflow(ctx, weft.WorkflowRecord{Name: "mail", Source: wfSource, Enabled: true}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the removed trigger's state to be dropped", func() bool {
		list, err := b.st.ListPollStates(ctx)
		return err == nil && len(list) == 1 && len(m.Health()) == 1
	})
	list, _ := b.st.ListPollStates(ctx)
	if list[0].Workflow != weft.IMAPPollKey("mail") || list[0].Index != 0 {
		t.Fatalf("states %+v, want the first trigger's", list)
	}
}
