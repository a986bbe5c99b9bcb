package alert_test

import (
	"context"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/alert"
	"github.com/weftworks/weft/store"
	"github.com/weftworks/weft/store/storesqlite"
)

// fakeSource is a controlled workflow: the test sets what the store would
// report.
type fakeSource struct {
	mu         sync.Mutex
	finished   []finished // by finish time
	last       time.Time
	deliveries []time.Time
	open       map[string]bool
	budget     float64
	hasBudget  bool
}

type finished struct {
	at     time.Time
	failed bool
	took   time.Duration
}

func (f *fakeSource) Finished(_ context.Context, workflow string, since time.Time) (alert.Stats, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var s alert.Stats
	for _, x := range f.finished {
		if x.at.Before(since) {
			continue
		}
		s.Finished++
		if x.failed {
			s.Failed++
		}
		s.Durations = append(s.Durations, x.took)
	}
	return s, nil
}

func (f *fakeSource) LastTriggered(context.Context, string) (time.Time, bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.last, !f.last.IsZero(), nil
}

func (f *fakeSource) FailedDeliveries(_ context.Context, since time.Time) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, d := range f.deliveries {
		if !d.Before(since) {
			n++
		}
	}
	return n, nil
}

func (f *fakeSource) CircuitOpen(c string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.open[c]
}

func (f *fakeSource) BudgetSpent(context.Context, string, string) (float64, bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.budget, f.hasBudget, nil
}

type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time               { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) Add(d time.Duration)          { c.mu.Lock(); c.now = c.now.Add(d); c.mu.Unlock() }
func (c *clock) At(d time.Duration) time.Time { return c.Now().Add(d) }

type sent struct {
	n   alert.Notification
	key string
}

type bundle struct {
	src   *fakeSource
	clock *clock
	st    store.Store
	mu    sync.Mutex
	sent  []sent
}

func (b *bundle) notified() []alert.Notification {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := make([]alert.Notification, len(b.sent))
	for i, s := range b.sent {
		out[i] = s.n
	}
	return out
}

func openStore(t *testing.T) store.Store {
	t.Helper()
	st, err := storesqlite.Open(context.Background(), filepath.Join(t.TempDir(), "weft.db"), storesqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func setup(t *testing.T, st store.Store, owner string, rules ...alert.Rule) (*bundle, *alert.Evaluator) {
	t.Helper()
	b := &bundle{src: &fakeSource{open: map[string]bool{}}, clock: &clock{now: time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)}, st: st}
	ev := newEvaluator(t, b, owner, rules...)
	return b, ev
}

func newEvaluator(t *testing.T, b *bundle, owner string, rules ...alert.Rule) *alert.Evaluator {
	t.Helper()
	for i := range rules {
		rules[i] = rules[i].WithDefaults()
		if err := rules[i].Validate(); err != nil {
			t.Fatal(err)
		}
	}
	ev, err := alert.New(alert.Config{Store: b.st, Source: b.src, Owner: owner, Interval: 10 * time.Second, Now: b.clock.Now,
		Rules: func(context.Context) ([]alert.Rule, error) { return rules, nil },
		Notify: func(_ context.Context, r alert.Rule, n alert.Notification, key string) error {
			b.mu.Lock()
			defer b.mu.Unlock()
			b.sent = append(b.sent, sent{n, key})
			return nil
		}})
	if err != nil {
		t.Fatal(err)
	}
	return ev
}

// states turns notifications into "firing", "firing+", "resolved".
func states(ns []alert.Notification) string {
	var s []string
	for _, n := range ns {
		if n.Repeat {
			s = append(s, n.State+"+")
		} else {
			s = append(s, n.State)
		}
	}
	return strings.Join(s, ",")
}

// TestEachKindFiresRepeatsAndResolves drives every rule kind through
// ok → firing (once) → repeat → resolved against a controlled source and a
// fake clock.
func TestEachKindFiresRepeatsAndResolves(t *testing.T) {
	t.Parallel()
	minute := weft.Duration(time.Minute)
	cases := []struct {
		rule  alert.Rule
		fire  func(b *bundle)
		clear func(b *bundle)
		value float64 // value when firing
	}{
		{alert.Rule{Kind: alert.Failures, Workflow: "orders", Window: minute, Threshold: 2},
			func(b *bundle) {
				b.src.finished = append(b.src.finished, finished{b.clock.Now(), true, time.Second}, finished{b.clock.Now(), true, time.Second})
			},
			func(b *bundle) { b.clock.Add(2 * time.Minute) }, 2},
		{alert.Rule{Kind: alert.ErrorRate, Workflow: "orders", Window: minute, Threshold: 0.5, MinExecutions: 4},
			func(b *bundle) {
				for i := range 4 {
					b.src.finished = append(b.src.finished, finished{b.clock.Now(), i < 3, time.Second})
				}
			},
			func(b *bundle) {
				for range 8 {
					b.src.finished = append(b.src.finished, finished{b.clock.Now(), false, time.Second})
				}
			}, 0.75},
		{alert.Rule{Kind: alert.P95Latency, Workflow: "orders", Window: minute, Threshold: 2},
			func(b *bundle) {
				for i := range 20 {
					took := 100 * time.Millisecond
					if i < 2 {
						took = 3 * time.Second // the 19th of 20 is the p95 (nearest rank)
					}
					b.src.finished = append(b.src.finished, finished{b.clock.Now(), false, took})
				}
			},
			func(b *bundle) { b.clock.Add(2 * time.Minute) }, 3},
		{alert.Rule{Kind: alert.TriggerSilent, Workflow: "orders", Window: minute},
			func(b *bundle) { b.src.last = b.clock.Now(); b.clock.Add(61 * time.Second) },
			func(b *bundle) { b.src.last = b.clock.Now() }, 61},
		{alert.Rule{Kind: alert.DeliveriesFailing, Window: minute, Threshold: 1},
			func(b *bundle) { b.src.deliveries = append(b.src.deliveries, b.clock.Now()) },
			func(b *bundle) { b.clock.Add(2 * time.Minute) }, 1},
		{alert.Rule{Kind: alert.CircuitOpen, Connection: "stripe"},
			func(b *bundle) { b.src.open["stripe"] = true },
			func(b *bundle) { b.src.open["stripe"] = false }, 1},
		{alert.Rule{Kind: alert.AIBudget, Workflow: "orders", Threshold: 0.8},
			func(b *bundle) { b.src.budget, b.src.hasBudget = 0.9, true },
			func(b *bundle) { b.src.budget = 0.1 }, 0.9},
	}
	for _, tc := range cases {
		t.Run(string(tc.rule.Kind), func(t *testing.T) {
			t.Parallel()
			r := tc.rule
			r.Name, r.Notify, r.Repeat = "a-"+strings.ReplaceAll(string(r.Kind), "_", "-"), "page", weft.Duration(30*time.Second)
			b, ev := setup(t, openStore(t), "p1", r)
			ctx := context.Background()
			ev.EvaluateAll(ctx)
			if got := states(b.notified()); got != "" {
				t.Fatalf("notified %q before the condition held", got)
			}
			b.src.mu.Lock()
			tc.fire(b)
			b.src.mu.Unlock()
			ev.EvaluateAll(ctx)
			b.clock.Add(10 * time.Second)
			ev.EvaluateAll(ctx) // still holding, repeat not due: nothing
			if got := states(b.notified()); got != "firing" {
				t.Fatalf("after the condition held: %q, want one firing", got)
			}
			if n := b.notified()[0]; n.Value != tc.value || n.Alert != r.Name || n.Threshold == 0 || n.Since.IsZero() {
				t.Errorf("firing notification = %+v, want value %v", n, tc.value)
			}
			b.clock.Add(25 * time.Second)
			ev.EvaluateAll(ctx) // 35 s after firing: one repeat
			if got := states(b.notified()); got != "firing,firing+" {
				t.Fatalf("after the repeat interval: %q", got)
			}
			b.src.mu.Lock()
			tc.clear(b)
			b.src.mu.Unlock()
			ev.EvaluateAll(ctx)
			ev.EvaluateAll(ctx)
			if got := states(b.notified()); got != "firing,firing+,resolved" {
				t.Fatalf("after the condition cleared: %q", got)
			}
			list, _ := b.st.ListAlertStates(ctx)
			if len(list) != 1 || list[0].State != store.AlertOK {
				t.Errorf("stored state = %+v", list)
			}
		})
	}
}

// TestOneProcessEvaluates: two evaluators on one store; only the lease
// holder notifies, and the other takes over once the holder stops.
func TestOneProcessEvaluates(t *testing.T) {
	t.Parallel()
	st := openStore(t)
	r := alert.Rule{Name: "cb", Kind: alert.CircuitOpen, Connection: "stripe", Notify: "page"}
	b1, ev1 := setup(t, st, "p1", r)
	b2 := &bundle{src: b1.src, clock: b1.clock, st: st}
	ev2 := newEvaluator(t, b2, "p2", r)
	ctx := context.Background()
	b1.src.open["stripe"] = true
	ev1.EvaluateAll(ctx)
	ev2.EvaluateAll(ctx)
	if a, b := states(b1.notified()), states(b2.notified()); a != "firing" || b != "" {
		t.Fatalf("p1 %q, p2 %q: want one firing from p1", a, b)
	}
	// p1 stops; after its lease (3 intervals) p2 evaluates, sees the
	// alert already firing and does not notify again.
	b1.clock.Add(31 * time.Second)
	ev2.EvaluateAll(ctx)
	b1.src.mu.Lock()
	b1.src.open["stripe"] = false
	b1.src.mu.Unlock()
	ev2.EvaluateAll(ctx)
	if a, b := states(b1.notified()), states(b2.notified()); a != "firing" || b != "resolved" {
		t.Fatalf("p1 %q, p2 %q: want p2 to resolve what p1 fired", a, b)
	}
}

func TestParseFile(t *testing.T) {
	t.Parallel()
	rules, err := alert.ParseFile([]byte(`
alerts:
  - name: orders-failing
    kind: failures
    workflow: orders
    window: 10m
    threshold: 3
    repeat: 1h
    notify: page-oncall
  - { name: stripe-down, kind: circuit_open, connection: stripe, notify: page-oncall }
`))
	if err != nil {
		t.Fatal(err)
	}
	if len(rules) != 2 || rules[0].Window.D() != 10*time.Minute || rules[0].Repeat.D() != time.Hour || rules[1].Threshold != 1 {
		t.Fatalf("rules = %+v", rules)
	}
	for _, tc := range []struct{ doc, want string }{
		{"alerts:\n  - {name: a, kind: nope, notify: n}", "not one of"},
		{"alerts:\n  - {name: a, kind: failures, notify: n}", "needs workflow"},
		{"alerts:\n  - {name: a, kind: failures, workflow: w}", "notify"},
		{"alerts:\n  - {name: a, kind: error_rate, workflow: w, threshold: 20, notify: n}", "between 0 and 1"},
		{"alerts:\n  - {name: a, kind: failures, workflow: w, notify: n, widnow: 5m}", "widnow"},
		{"alerts:\n  - {name: a, kind: circuit_open, connection: c, notify: n}\n  - {name: a, kind: circuit_open, connection: c, notify: n}", "used twice"},
		{"alerts:\n  - {name: A B, kind: circuit_open, connection: c, notify: n}", "lower-case"},
	} {
		if _, err := alert.ParseFile([]byte(tc.doc)); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ParseFile(%q) = %v, want an error naming %q", tc.doc, err, tc.want)
		}
	}
	big := "alerts:\n" + strings.Repeat("  - {name: x, kind: circuit_open, connection: c, notify: n}\n", alert.MaxRules+1)
	if _, err := alert.ParseFile([]byte(big)); err == nil || !strings.Contains(err.Error(), "at most") {
		t.Errorf("a file of %d rules = %v, want refused", alert.MaxRules+1, err)
	}
}
