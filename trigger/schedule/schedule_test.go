package schedule_test

import (
	"context"
	"path/filepath"
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
	"github.com/weftworks/weft/trigger/schedule"
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

// Two schedulers (as in two processes) on one store: each tick fires once.
func TestEachTickFiresOnceAcrossSchedulers(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st, err := storesqlite.Open(ctx, filepath.Join(t.TempDir(), "weft.db"), storesqlite.Options{Synchronous: storesqlite.SyncNormal})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	reg := step.NewRegistry()
	if err := standard.Register(reg); err != nil {
		t.Fatal(err)
	}
	src := `
name: every-minute
on:
  schedule: [{ cron: "* * * * *", input: { source: cron } }]
steps:
  - id: note
    uses: transform
    with: { at: "{{ trigger.scheduled_at }}", source: "{{ trigger.source }}" }
`
	if _, _, err := st.PutWorkflow(ctx, weft.WorkflowRecord{Name: "every-minute", Source: src, Enabled: true}); err != nil {
		t.Fatal(err)
	}
	// Near the real time: the store expires dedupe keys by the wall clock.
	clk := &clock{t: time.Now().UTC().Truncate(time.Minute).Add(30 * time.Second)}
	runCtx, stop := context.WithCancel(ctx)
	var wg sync.WaitGroup
	// A scheduler reads its clock before each round; the second read comes
	// after its first refresh, so both then know the schedule from hh:mm:30.
	var reads [2]atomic.Int64
	for i := 0; i < 2; i++ {
		eng, err := engine.New(engine.Config{Store: st, Registry: reg, Owner: "p" + string(rune('a'+i)), PollInterval: 20 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		now := func() time.Time { reads[i].Add(1); return clk.Now() }
		s, err := schedule.New(schedule.Config{Engine: eng, Store: st, Now: now, Tick: 5 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		wg.Add(2)
		go func() { defer wg.Done(); _ = eng.Run(runCtx) }()
		go func() { defer wg.Done(); _ = s.Run(runCtx) }()
	}
	defer func() { stop(); wg.Wait() }()

	deadline := time.Now().Add(10 * time.Second)
	for reads[0].Load() < 2 || reads[1].Load() < 2 { // both schedulers read the workflow at hh:mm:30
		if time.Now().After(deadline) {
			t.Fatal("the schedulers never finished their first round")
		}
		time.Sleep(5 * time.Millisecond)
	}
	clk.Add(2 * time.Minute) // the next two minute ticks are due
	deadline = time.Now().Add(10 * time.Second)
	for {
		list, _, err := st.ListExecutions(ctx, store.ExecutionFilter{Workflow: "every-minute"})
		if err != nil {
			t.Fatal(err)
		}
		if len(list) >= 2 {
			time.Sleep(200 * time.Millisecond) // give a double fire time to show up
			list, _, _ = st.ListExecutions(ctx, store.ExecutionFilter{Workflow: "every-minute"})
			if len(list) != 2 {
				for _, ex := range list {
					t.Logf("%s %s", ex.ID, ex.Input)
				}
				t.Fatalf("%d executions for 2 ticks", len(list))
			}
			for _, ex := range list {
				if ex.Trigger != weft.TriggerSchedule {
					t.Fatalf("trigger = %s", ex.Trigger)
				}
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("only %d executions after 10s", len(list))
		}
		time.Sleep(10 * time.Millisecond)
	}
}
