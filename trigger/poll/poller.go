package poll

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/weftworks/weft/store"
	"github.com/weftworks/weft/workflow"
)

// Poller runs the polling triggers of every enabled workflow.
type Poller struct {
	cfg Config

	mu      sync.Mutex
	entries map[string]*entry // by workflow/index
	// gone holds the triggers of deleted workflows whose stored state is
	// still to drop: DeleteWorkflow drops it, but a poll that was in flight
	// may write the row again.
	gone map[string]*entry
	wg   sync.WaitGroup
}

// entry is one trigger as this process knows it.
type entry struct {
	workflow string
	node     workflow.PollNode
	// due is when this process next asks the store for a claim.
	due     time.Time
	running bool
}

// New returns a Poller; nothing runs until Run.
func New(cfg Config) (*Poller, error) {
	cfg = cfg.WithDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &Poller{cfg: cfg, entries: map[string]*entry{}, gone: map[string]*entry{}}, nil
}

// Run polls due triggers every Tick until ctx ends, then waits for the
// polls in flight.
func (p *Poller) Run(ctx context.Context) error {
	tick := time.NewTicker(p.cfg.Tick)
	defer tick.Stop()
	var refreshed time.Time
	for {
		now := p.cfg.Now()
		if now.Sub(refreshed) >= p.cfg.Refresh {
			if err := p.Refresh(ctx); err != nil && ctx.Err() == nil {
				p.cfg.Logger.Error("reading polling triggers", "err", err)
			}
			refreshed = now
		}
		p.pollDue(ctx, now)
		select {
		case <-ctx.Done():
			p.wg.Wait()
			return nil
		case <-tick.C:
		}
	}
}

// Refresh re-reads the workflows' polling triggers now.
func (p *Poller) Refresh(ctx context.Context) error {
	want := map[string]*entry{}
	exists := map[string]bool{}  // every workflow, enabled or not
	triggers := map[string]int{} // enabled workflows → how many on.poll entries
	page := store.Page{Limit: 500}
	for {
		recs, next, err := p.cfg.Store.ListWorkflows(ctx, page)
		if err != nil {
			return fmt.Errorf("listing workflows: %w", err)
		}
		for _, rec := range recs {
			exists[rec.Name] = true
			if !rec.Enabled {
				continue
			}
			_, c, err := p.cfg.Engine.Compiled(ctx, rec.Name)
			if err != nil {
				p.cfg.Logger.Warn("skipping polling triggers of a workflow that does not compile", "workflow", rec.Name, "err", err)
				continue
			}
			if !c.Workflow.IsEnabled() {
				continue
			}
			triggers[rec.Name] = len(c.Workflow.On.Poll)
			for _, n := range c.Poll {
				want[key(rec.Name, n.Index)] = &entry{workflow: rec.Name, node: n}
			}
		}
		if next == "" {
			break
		}
		page.Cursor = next
	}
	p.mu.Lock()
	for k, e := range want {
		if old, ok := p.entries[k]; ok {
			old.node = e.node // a new version: same cursor, new settings
			continue
		}
		p.entries[k] = e
	}
	for k, e := range p.entries {
		if _, ok := want[k]; !ok {
			delete(p.entries, k)
			if !exists[e.workflow] {
				p.gone[k] = e
			}
		}
	}
	drop := map[string][]string{} // workflow → its keys in gone
	for k, e := range p.gone {
		switch {
		case exists[e.workflow]: // created again meanwhile: its state is live
			delete(p.gone, k)
		case !e.running: // a poll in flight may still write the row: next time
			drop[e.workflow] = append(drop[e.workflow], k)
		}
	}
	p.mu.Unlock()
	for wf, keys := range drop {
		if err := p.cfg.Store.DeletePollStates(ctx, wf, 0); err != nil {
			return fmt.Errorf("dropping the polling state of deleted workflow %q: %w", wf, err)
		}
		p.mu.Lock()
		for _, k := range keys {
			delete(p.gone, k)
		}
		p.mu.Unlock()
	}
	return p.dropRemoved(ctx, triggers)
}

// dropRemoved drops the states of on.poll entries removed from workflows
// that still exist (store.DropRemovedPollStates); triggers holds the
// enabled workflows' entry counts.
func (p *Poller) dropRemoved(ctx context.Context, triggers map[string]int) error {
	dropped, err := store.DropRemovedPollStates(ctx, p.cfg.Store, triggers, p.cfg.Now())
	if err != nil {
		return fmt.Errorf("dropping the polling state of removed triggers: %w", err)
	}
	for _, wf := range dropped {
		p.cfg.Logger.Info("dropped the polling state of removed triggers", "workflow", wf, "from_trigger", triggers[wf])
	}
	return nil
}

func key(workflow string, index int) string { return fmt.Sprintf("%s/%d", workflow, index) }

// pollDue claims and starts every trigger due at now that this process is
// not polling already.
func (p *Poller) pollDue(ctx context.Context, now time.Time) {
	p.mu.Lock()
	var due []*entry
	var snaps []entry
	for _, e := range p.entries {
		if !e.running && !e.due.After(now) {
			e.running = true
			due = append(due, e)
			snaps = append(snaps, *e) // Refresh may replace e.node meanwhile
		}
	}
	p.mu.Unlock()
	for i, e := range due {
		snap := snaps[i]
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			next := p.claimAndPoll(ctx, &snap)
			p.mu.Lock()
			e.running, e.due = false, next
			p.mu.Unlock()
		}()
	}
}

// claimAndPoll polls e when this process wins its claim, and returns when
// to ask again.
func (p *Poller) claimAndPoll(ctx context.Context, e *entry) time.Time {
	now := p.cfg.Now()
	st, claimed, err := p.cfg.Store.ClaimPoll(ctx, e.workflow, e.node.Index, p.cfg.Owner, now, p.cfg.Timeout+time.Minute)
	if err != nil {
		if ctx.Err() == nil {
			p.cfg.Logger.Error("claiming a poll", "workflow", e.workflow, "trigger", e.node.Index, "err", err)
		}
		return now.Add(p.cfg.Tick)
	}
	if !claimed {
		next := st.NextPollAt
		if st.ClaimUntil != nil && st.ClaimUntil.After(next) && st.ClaimOwner != "" {
			// Another process is polling; look again when its claim ends
			// or, sooner, when it is due again after finishing.
			next = now.Add(e.node.Trigger.Every.D())
			if st.ClaimUntil.Before(next) {
				next = *st.ClaimUntil
			}
		}
		return next
	}
	st = p.poll(ctx, e, st, now)
	// Recorded even while stopping, so the claim is released at once.
	fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if err := p.cfg.Store.FinishPoll(fctx, p.cfg.Owner, st); err != nil {
		p.cfg.Logger.Error("recording a poll", "workflow", e.workflow, "trigger", e.node.Index, "err", err)
	}
	return st.NextPollAt
}
