// Package schedule fires cron schedules (`on.schedule`). Every Weft process
// runs a Scheduler; a tick starts its execution through a dedupe key made of
// the workflow, the schedule's index and the tick time, so however many
// processes share one database, each tick fires exactly once.
package schedule

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/engine"
	"github.com/weftworks/weft/store"
	"github.com/weftworks/weft/workflow"
)

// Engine is what a Scheduler needs of the engine: the compiled active
// version of a workflow, to read its schedules, and starting an execution
// (whose dedupe key claims the tick).
type Engine interface {
	Compiled(ctx context.Context, name string) (weft.WorkflowRecord, *workflow.Compiled, error)
	Start(ctx context.Context, req engine.StartRequest) (*engine.Started, error)
}

// Store is what a Scheduler reads from storage: the active workflows.
type Store interface {
	ListWorkflows(ctx context.Context, page store.Page) ([]weft.WorkflowRecord, string, error)
}

// Config configures a Scheduler.
type Config struct {
	Engine Engine
	Store  Store
	Logger *slog.Logger
	// Tick is how often due schedules are checked (default 1s).
	Tick time.Duration
	// Refresh is how often the list of workflows is re-read (default 5s).
	Refresh time.Duration
	// Now returns the current time.
	Now func() time.Time
}

// Scheduler fires schedules until its context ends.
type Scheduler struct {
	cfg     Config
	parser  cron.Parser
	entries map[string]*entry // key: workflow/version/index
}

type entry struct {
	workflow string
	index    int
	spec     weft.ScheduleTrigger
	sched    cron.Schedule
	last     time.Time
}

// Parser is the cron dialect of workflow files: five fields, descriptors
// such as @hourly, and an optional CRON_TZ= prefix.
func Parser() cron.Parser {
	return cron.NewParser(cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)
}

// New returns a Scheduler.
func New(cfg Config) (*Scheduler, error) {
	if cfg.Engine == nil || cfg.Store == nil {
		return nil, errors.New("schedule config: Engine and Store are required")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Tick <= 0 {
		cfg.Tick = time.Second
	}
	if cfg.Refresh <= 0 {
		cfg.Refresh = 5 * time.Second
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Scheduler{cfg: cfg, parser: Parser(), entries: map[string]*entry{}}, nil
}

// Run checks schedules every Tick until ctx is done. Ticks that fell while
// no process was running are not fired after the fact.
func (s *Scheduler) Run(ctx context.Context) error {
	tick := time.NewTicker(s.cfg.Tick)
	defer tick.Stop()
	var refreshed time.Time
	for {
		now := s.cfg.Now()
		if now.Sub(refreshed) >= s.cfg.Refresh {
			if err := s.refresh(ctx, now); err != nil && ctx.Err() == nil {
				s.cfg.Logger.Error("reading schedules", "err", err)
			}
			refreshed = now
		}
		s.fireDue(ctx, now)
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
	}
}

// refresh re-reads workflows and their schedules, keeping the last fired
// tick of schedules that did not change.
func (s *Scheduler) refresh(ctx context.Context, now time.Time) error {
	seen := map[string]bool{}
	page := store.Page{Limit: 500}
	for {
		recs, next, err := s.cfg.Store.ListWorkflows(ctx, page)
		if err != nil {
			return fmt.Errorf("listing workflows: %w", err)
		}
		for _, rec := range recs {
			if !rec.Enabled {
				continue
			}
			_, c, err := s.cfg.Engine.Compiled(ctx, rec.Name)
			if err != nil {
				s.cfg.Logger.Warn("skipping schedules of a workflow that does not compile", "workflow", rec.Name, "err", err)
				continue
			}
			wf := c.Workflow
			if !wf.IsEnabled() {
				continue
			}
			for i, sc := range wf.Schedule() {
				key := fmt.Sprintf("%s/%d/%s/%s", rec.Name, i, sc.Cron, sc.Timezone)
				seen[key] = true
				if _, ok := s.entries[key]; ok {
					continue
				}
				spec := sc.Cron
				if sc.Timezone != "" {
					spec = "CRON_TZ=" + sc.Timezone + " " + spec
				}
				sched, err := s.parser.Parse(spec)
				if err != nil {
					s.cfg.Logger.Warn("invalid cron schedule", "workflow", rec.Name, "cron", sc.Cron, "err", err)
					continue
				}
				s.entries[key] = &entry{workflow: rec.Name, index: i, spec: sc, sched: sched, last: now}
			}
		}
		if next == "" {
			break
		}
		page.Cursor = next
	}
	for k := range s.entries {
		if !seen[k] {
			delete(s.entries, k)
		}
	}
	return nil
}

func (s *Scheduler) fireDue(ctx context.Context, now time.Time) {
	for _, e := range s.entries {
		for {
			next := nextTick(e.sched, e.last)
			if next.After(now) {
				break
			}
			e.last = next
			s.fire(ctx, e, next)
		}
	}
}

// nextTick is the schedule's next time after t. `@every` intervals are
// anchored to the Unix epoch rather than to when a process started, so every
// process computes the same ticks (and the dedupe key makes each fire once).
func nextTick(sched cron.Schedule, t time.Time) time.Time {
	if every, ok := sched.(cron.ConstantDelaySchedule); ok && every.Delay > 0 {
		return t.Truncate(every.Delay).Add(every.Delay)
	}
	return sched.Next(t)
}

func (s *Scheduler) fire(ctx context.Context, e *entry, tick time.Time) {
	in := map[string]any{"scheduled_at": tick.UTC().Format(time.RFC3339), "cron": e.spec.Cron}
	for k, v := range e.spec.Input {
		in[k] = v
	}
	input, _ := json.Marshal(in)
	st, err := s.cfg.Engine.Start(ctx, engine.StartRequest{
		Workflow: e.workflow, Input: input, Trigger: weft.TriggerSchedule,
		Dedupe: &store.DedupeKey{
			Scope:     "schedule:" + e.workflow,
			Key:       fmt.Sprintf("%d@%s", e.index, tick.UTC().Format(time.RFC3339)),
			ExpiresAt: tick.Add(7 * 24 * time.Hour),
		},
	})
	if err != nil {
		s.cfg.Logger.Error("firing schedule", "workflow", e.workflow, "tick", tick, "err", err)
		return
	}
	if !st.Duplicate {
		s.cfg.Logger.Info("schedule fired", "workflow", e.workflow, "tick", tick, "execution_id", st.Execution.ID)
	}
}
