package poll_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/connectors/standard"
	"github.com/weftworks/weft/engine"
	"github.com/weftworks/weft/step"
	"github.com/weftworks/weft/store"
	"github.com/weftworks/weft/store/storesqlite"
	"github.com/weftworks/weft/trigger/poll"
)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// source is a fake API: a list of items with increasing sequence numbers;
// list returns the items after the cursor, at most page of them.
type source struct {
	mu    sync.Mutex
	items []map[string]any
	calls atomic.Int32
	// fail, when set, is returned by the next call.
	fail error
	// huge makes the next call return that many items.
	huge int
}

func (s *source) add(ids ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, id := range ids {
		s.items = append(s.items, map[string]any{"id": id, "seq": len(s.items) + 1})
	}
}

func (s *source) run(_ context.Context, req *step.Request) (step.Result, error) {
	s.calls.Add(1)
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.fail; err != nil {
		s.fail = nil
		return step.Result{}, err
	}
	if s.huge > 0 {
		// One item shared a million times: cheap to build here, over
		// 100 MB once encoded.
		list := make([]any, s.huge)
		one := map[string]any{"id": "same", "body": strings.Repeat("x", 100)}
		for i := range list {
			list[i] = one
		}
		s.huge = 0
		return step.Result{Output: map[string]any{"results": list}}, nil
	}
	after := 0
	if f, ok := req.With["after"].(float64); ok {
		after = int(f)
	}
	// Items that arrive with the same second as the cursor: an API that
	// filters by "updated since" returns the boundary item again, which the
	// seen-set and the dedupe keys absorb.
	var out []any
	for _, it := range s.items {
		if it["seq"].(int) >= after {
			out = append(out, it)
		}
	}
	return step.Result{Output: map[string]any{"results": out}}, nil
}

const pollWorkflow = `
name: feed
on:
  poll:
    step: test.list
    with: { after: "{{ poll.cursor ?? 0 }}" }
    every: 1m
    items: "{{ poll.output.results }}"
    id: "{{ item.id }}"
    cursor: "{{ len(poll.items) > 0 ? last(poll.items).seq : poll.cursor }}"
    max_items: 100
steps:
  - id: note
    uses: transform
    with: { id: "{{ trigger.id }}" }
`

type bundle struct {
	st  *storesqlite.Store
	src *source
	clk *clock
	reg *step.Registry
}

func setup(t *testing.T) *bundle {
	t.Helper()
	ctx := context.Background()
	st, err := storesqlite.Open(ctx, filepath.Join(t.TempDir(), "weft.db"), storesqlite.Options{Synchronous: storesqlite.SyncNormal})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	b := &bundle{st: st, src: &source{}, clk: &clock{t: time.Now().UTC().Truncate(time.Minute)}, reg: step.NewRegistry()}
	if err := standard.Register(b.reg); err != nil {
		t.Fatal(err)
	}
	b.reg.MustAdd(step.Spec{Type: "test.list", Category: step.CategoryApps, Fields: []step.Field{{Name: "after", Type: step.Any}}},
		step.HandlerFunc(b.src.run))
	if _, _, err := st.PutWorkflow(ctx, weft.WorkflowRecord{Name: "feed", Source: pollWorkflow, Enabled: true}); err != nil {
		t.Fatal(err)
	}
	return b
}

// start runs n processes (engine + poller) on the bundle's store.
func (b *bundle) start(t *testing.T, n int, wrap func(poll.Store) poll.Store) []*poll.Poller {
	t.Helper()
	ctx, stop := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	var out []*poll.Poller
	for i := range n {
		owner := fmt.Sprintf("p%d", i)
		eng, err := engine.New(engine.Config{Store: b.st, Registry: b.reg, Owner: owner, PollInterval: 20 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		var ps poll.Store = b.st
		if wrap != nil {
			ps = wrap(ps)
		}
		p, err := poll.New(poll.Config{Engine: eng, Store: ps, Registry: b.reg, Owner: owner, Now: b.clk.Now,
			Tick: 5 * time.Millisecond, Refresh: time.Hour, Timeout: 5 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, p)
		wg.Add(2)
		go func() { defer wg.Done(); _ = eng.Run(ctx) }()
		go func() { defer wg.Done(); _ = p.Run(ctx) }()
	}
	t.Cleanup(func() { stop(); wg.Wait() })
	return out
}

// executions returns the started item ids, in creation order.
func (b *bundle) executions(t *testing.T) map[string]int {
	t.Helper()
	list, _, err := b.st.ListExecutions(context.Background(), store.ExecutionFilter{Workflow: "feed", Page: store.Page{Limit: 1000}})
	if err != nil {
		t.Fatal(err)
	}
	ids := map[string]int{}
	for _, ex := range list {
		if ex.Trigger != weft.TriggerPoll {
			t.Fatalf("trigger = %s", ex.Trigger)
		}
		var in struct{ ID string }
		if err := jsonUnmarshal(ex.Input, &in); err != nil {
			t.Fatal(err)
		}
		ids[in.ID]++
	}
	return ids
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// state returns the trigger's stored state (zero before its first claim).
func (b *bundle) state(t *testing.T) weft.PollState {
	t.Helper()
	list, err := b.st.ListPollStates(context.Background())
	if err != nil || len(list) > 1 {
		t.Fatalf("poll states = %+v, %v", list, err)
	}
	if len(list) == 0 {
		return weft.PollState{}
	}
	return list[0]
}

// wantExactlyOnce fails unless every id started exactly one execution.
func wantExactlyOnce(t *testing.T, got map[string]int, ids ...string) {
	t.Helper()
	for _, id := range ids {
		if got[id] != 1 {
			t.Fatalf("item %s started %d executions, want 1 (all: %v)", id, got[id], got)
		}
	}
	if len(got) != len(ids) {
		t.Fatalf("executions for %v, want exactly %v", got, ids)
	}
}

// Items that arrive close together, some between polls and some in the
// same second as the cursor, each start one execution; two processes poll
// once per interval.
func TestItemsCloseTogetherNeitherMissedNorDuplicated(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.src.add("a", "b", "c")
	ps := b.start(t, 2, nil)
	for _, p := range ps {
		if err := p.Refresh(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, "the first poll", func() bool { return len(b.executions(t)) == 3 })
	time.Sleep(50 * time.Millisecond) // both pollers saw the trigger due; only one polled
	if n := b.src.calls.Load(); n != 1 {
		t.Fatalf("%d polls in the first interval across two processes, want 1", n)
	}
	b.src.add("d", "e")
	b.src.add("f")
	b.clk.Add(time.Minute)
	waitFor(t, "the second poll", func() bool { return b.src.calls.Load() == 2 && b.state(t).ClaimOwner == "" })
	time.Sleep(50 * time.Millisecond)
	if n := b.src.calls.Load(); n != 2 {
		t.Fatalf("%d polls after two intervals, want 2", n)
	}
	wantExactlyOnce(t, b.executions(t), "a", "b", "c", "d", "e", "f")
	st := b.state(t)
	if string(st.Cursor) != "6" || st.ItemsSeen != 6 || st.LastSuccessAt == nil {
		t.Fatalf("state = cursor %s items %d success %v", st.Cursor, st.ItemsSeen, st.LastSuccessAt)
	}
}

// crashingStore loses the first FinishPoll, as if the process died after
// starting the executions and before storing the cursor.
type crashingStore struct {
	poll.Store
	crashed atomic.Bool
}

func (c *crashingStore) FinishPoll(ctx context.Context, owner string, st weft.PollState) error {
	if c.crashed.CompareAndSwap(false, true) {
		return errors.New("process died")
	}
	return c.Store.FinishPoll(ctx, owner, st)
}

// A crash between starting the executions and storing the cursor loses
// nothing and duplicates nothing: the next process re-fetches the same
// items once the claim expires, and the dedupe keys refuse the repeats.
func TestCrashBetweenPollAndCursorNeitherLosesNorDuplicates(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.src.add("a", "b")
	crash := &crashingStore{}
	b.start(t, 1, func(s poll.Store) poll.Store { crash.Store = s; return crash })
	waitFor(t, "the first poll", func() bool { return crash.crashed.Load() && len(b.executions(t)) == 2 })
	if st := b.state(t); st.Cursor != nil || st.ClaimOwner == "" {
		t.Fatalf("after the crash the cursor moved (%s) or the claim was released (%q)", st.Cursor, st.ClaimOwner)
	}
	b.src.add("c")
	b.clk.Add(5*time.Second + time.Minute + time.Second) // the claim (timeout + 1m) expires
	waitFor(t, "the poll after the crash", func() bool { return b.src.calls.Load() >= 2 && b.state(t).LastSuccessAt != nil })
	wantExactlyOnce(t, b.executions(t), "a", "b", "c")
	if st := b.state(t); string(st.Cursor) != "3" {
		t.Fatalf("cursor after recovery = %s, want 3", st.Cursor)
	}
}

// A source that answers 429 with Retry-After pauses the trigger; it
// resumes by itself after the wait.
func TestRateLimitPausesAndResumes(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.src.add("a")
	b.src.fail = step.Retryable(errors.New("429 Too Many Requests"), 10*time.Minute)
	ps := b.start(t, 1, nil)
	waitFor(t, "the paused poll", func() bool { return b.state(t).PausedUntil != nil })
	h, err := ps[0].Health(context.Background())
	if err != nil || len(h) != 1 || h[0].Status != poll.StatusPaused || h[0].LastError == "" {
		t.Fatalf("health = %+v, %v", h, err)
	}
	b.clk.Add(2 * time.Minute) // one interval later: still paused
	time.Sleep(50 * time.Millisecond)
	if n := b.src.calls.Load(); n != 1 {
		t.Fatalf("%d polls while paused, want 1", n)
	}
	b.clk.Add(9 * time.Minute)
	waitFor(t, "the poll after the pause", func() bool { return len(b.executions(t)) == 1 })
	waitFor(t, "health ok", func() bool {
		h, _ := ps[0].Health(context.Background())
		return len(h) == 1 && h[0].Status == poll.StatusOK && h[0].ItemsSeen == 1
	})
}

// A poll returning a million items (over 100 MB as JSON) or more items
// than max_items fails with a clear error, starts nothing, keeps the
// cursor, and the poller carries on.
func TestHostileHugePollIsBounded(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.src.huge = 1_000_000
	ps := b.start(t, 1, nil)
	waitFor(t, "the refused poll", func() bool { return b.state(t).LastError != "" })
	st := b.state(t)
	if want := "returned more than 16777216 bytes of output"; !strings.Contains(st.LastError, want) {
		t.Fatalf("last error = %q, want it to say %q", st.LastError, want)
	}
	if len(b.executions(t)) != 0 || st.Cursor != nil {
		t.Fatalf("a refused poll started executions or moved the cursor (%s)", st.Cursor)
	}
	if h, _ := ps[0].Health(context.Background()); len(h) != 1 || h[0].Status != poll.StatusError {
		t.Fatalf("health = %+v", h)
	}
	ids := make([]string, 150)
	for i := range ids {
		ids[i] = fmt.Sprint("item-", i)
	}
	b.src.add(ids...)
	b.clk.Add(time.Minute)
	waitFor(t, "the second refused poll", func() bool { return b.src.calls.Load() == 2 && b.state(t).ClaimOwner == "" })
	if st := b.state(t); !strings.Contains(st.LastError, "the poll returned 150 items; max_items is 100") {
		t.Fatalf("last error = %q", st.LastError)
	}
	if n := len(b.executions(t)); n != 0 {
		t.Fatalf("%d executions from a refused poll", n)
	}
}

// holdingStore holds the next ClaimPoll after hold is armed until release
// is closed, as a poll that is already on its way when its workflow goes.
type holdingStore struct {
	poll.Store
	armed   atomic.Bool
	entered chan struct{}
	release chan struct{}
}

func (h *holdingStore) ClaimPoll(ctx context.Context, workflow string, index int, owner string, now time.Time, lease time.Duration) (weft.PollState, bool, error) {
	if h.armed.CompareAndSwap(true, false) {
		close(h.entered)
		<-h.release
	}
	return h.Store.ClaimPoll(ctx, workflow, index, owner, now, lease)
}

// Deleting a workflow drops its trigger's state, also when a poll already
// on its way writes the row again after the delete: the poller drops it
// once that poll is done.
func TestDeletedWorkflowLeavesNoPollState(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	b := setup(t)
	b.src.add("a")
	hold := &holdingStore{entered: make(chan struct{}), release: make(chan struct{})}
	p := b.start(t, 1, func(s poll.Store) poll.Store { hold.Store = s; return hold })[0]
	waitFor(t, "the first poll", func() bool { return b.state(t).LastSuccessAt != nil && b.state(t).ClaimOwner == "" })

	hold.armed.Store(true)
	b.clk.Add(time.Minute) // the next poll is due; its claim waits
	select {
	case <-hold.entered:
	case <-time.After(10 * time.Second):
		t.Fatal("the second poll never asked for its claim")
	}
	if err := b.st.DeleteWorkflow(ctx, "feed"); err != nil {
		t.Fatal(err)
	}
	if list, _ := b.st.ListPollStates(ctx); len(list) != 0 {
		t.Fatalf("states right after DeleteWorkflow: %+v", list)
	}
	if err := p.Refresh(ctx); err != nil { // forgets the trigger; its poll is still on its way
		t.Fatal(err)
	}
	close(hold.release) // the late claim writes the row again
	waitFor(t, "the late poll's row to be dropped", func() bool {
		if err := p.Refresh(ctx); err != nil {
			t.Fatal(err)
		}
		list, err := b.st.ListPollStates(ctx)
		return err == nil && len(list) == 0
	})
}

// TestRemovedTriggerLeavesNoPollState: a new version of a workflow with
// fewer on.poll entries drops the state of the removed entry, and keeps the
// state (the cursor) of the one that stays.
func TestRemovedTriggerLeavesNoPollState(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	b := setup(t)
	b.src.add("a")
	// Two entries, each with a cursor.
	const two = `
name: feed
on:
  poll:
    - step: test.list
      with: { after: "{{ poll.cursor ?? 0 }}" }
      every: 1m
      items: "{{ poll.output.results }}"
      id: "{{ item.id }}"
      cursor: "{{ len(poll.items) > 0 ? last(poll.items).seq : poll.cursor }}"
    - step: test.list
      with: { after: "{{ poll.cursor ?? 0 }}" }
      every: 1m
      items: "{{ poll.output.results }}"
      id: "{{ item.id }}"
      cursor: "{{ len(poll.items) > 0 ? last(poll.items).seq : poll.cursor }}"
steps:
  - id: note
    uses: transform
    with: { id: "{{ trigger.id }}" }
`
	if _, _, err := b.st.PutWorkflow(ctx, weft.WorkflowRecord{Name: "feed", Source: two, Enabled: true}); err != nil {
		t.Fatal(err)
	}
	p := b.start(t, 1, nil)[0]
	waitFor(t, "both triggers' first polls", func() bool {
		list, _ := b.st.ListPollStates(ctx)
		done := 0
		for _, st := range list {
			if st.LastSuccessAt != nil && st.ClaimOwner == "" {
				done++
			}
		}
		return done == 2
	})

	// The next version keeps only the first entry.
	if _, _, err := b.st.PutWorkflow(ctx, weft.WorkflowRecord{Name: "feed", Source: pollWorkflow, Enabled: true}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the removed trigger's state to be dropped", func() bool {
		if err := p.Refresh(ctx); err != nil {
			t.Fatal(err)
		}
		list, err := b.st.ListPollStates(ctx)
		return err == nil && len(list) == 1
	})
	list, _ := b.st.ListPollStates(ctx)
	if list[0].Workflow != "feed" || list[0].Index != 0 || len(list[0].Cursor) == 0 {
		t.Fatalf("states %+v, want the first trigger's, with its cursor", list)
	}
}
