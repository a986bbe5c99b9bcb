package imap

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/weftworks/weft/store"
	"github.com/weftworks/weft/workflow"
)

// Manager runs a watcher for every on.imap entry of the enabled
// workflows.
type Manager struct {
	cfg Config

	mu       sync.Mutex
	watchers map[string]*watcher
	// gone holds the watchers of deleted workflows whose stored state is
	// still to drop: DeleteWorkflow drops it, but a watcher that was still
	// running may have claimed the row again.
	gone map[string]*watcher
	wg   sync.WaitGroup
}

// watcher is one mailbox trigger in this process.
type watcher struct {
	workflow string
	node     workflow.IMAPNode
	health   *health
	cancel   context.CancelFunc
	done     chan struct{} // closed when watch returned
	// holding is set while this process holds the trigger's claim.
	holding atomic.Bool
}

// New returns a Manager; nothing runs until Run.
func New(cfg Config) (*Manager, error) {
	cfg = cfg.WithDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &Manager{cfg: cfg, watchers: map[string]*watcher{}, gone: map[string]*watcher{}}, nil
}

// Run re-reads the workflows every Refresh and keeps one watcher per
// trigger until ctx ends, then waits for them.
func (m *Manager) Run(ctx context.Context) error {
	t := time.NewTicker(m.cfg.Refresh)
	defer t.Stop()
	for {
		if err := m.Refresh(ctx); err != nil && ctx.Err() == nil {
			m.cfg.Logger.Error("reading mailbox triggers", "err", err)
		}
		select {
		case <-ctx.Done():
			m.wg.Wait()
			return nil
		case <-t.C:
		}
	}
}

// Refresh starts watchers for new triggers and stops removed or changed
// ones.
func (m *Manager) Refresh(ctx context.Context) error {
	want := map[string]*watcher{}
	exists := map[string]bool{}  // every workflow, enabled or not
	triggers := map[string]int{} // state keys of enabled workflows → how many on.imap entries
	page := store.Page{Limit: 500}
	for {
		recs, next, err := m.cfg.Store.ListWorkflows(ctx, page)
		if err != nil {
			return fmt.Errorf("listing workflows: %w", err)
		}
		for _, rec := range recs {
			exists[rec.Name] = true
			if !rec.Enabled {
				continue
			}
			_, c, err := m.cfg.Engine.Compiled(ctx, rec.Name)
			if err != nil || !c.Workflow.IsEnabled() {
				continue
			}
			triggers[claimKey(rec.Name)] = len(c.Workflow.On.IMAP)
			for _, n := range c.IMAP {
				want[fmt.Sprintf("%s/%d/%+v", rec.Name, n.Index, n.Trigger)] = &watcher{workflow: rec.Name, node: n}
			}
		}
		if next == "" {
			break
		}
		page.Cursor = next
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	for k, w := range m.watchers {
		if _, ok := want[k]; !ok {
			w.cancel()
			delete(m.watchers, k)
			if !exists[w.workflow] {
				m.gone[k] = w
			}
		}
	}
	if err := m.dropGone(ctx, exists); err != nil {
		return err
	}
	for k, w := range want {
		if _, ok := m.watchers[k]; ok {
			continue
		}
		t := w.node.Trigger
		w.health = newHealth(w.workflow, w.node.Index, t.Connection, t.Mailbox)
		wctx, cancel := context.WithCancel(ctx)
		w.cancel, w.done = cancel, make(chan struct{})
		m.watchers[k] = w
		m.wg.Add(1)
		go func() { defer m.wg.Done(); defer close(w.done); m.watch(wctx, w) }()
	}
	// The states of entries removed from workflows that still exist (their
	// watchers were stopped above; a claim they still hold defers it).
	dropped, err := store.DropRemovedPollStates(ctx, m.cfg.Store, triggers, m.cfg.Now())
	if err != nil {
		return fmt.Errorf("dropping the mailbox state of removed triggers: %w", err)
	}
	for _, k := range dropped {
		m.cfg.Logger.Info("dropped the mailbox state of removed triggers", "workflow", strings.TrimPrefix(k, "imap:"), "from_trigger", triggers[k])
	}
	return nil
}

// dropGone drops the stored state of the triggers of deleted workflows
// once their watchers have stopped (a stopping watcher may still claim the
// row). m.mu is held.
func (m *Manager) dropGone(ctx context.Context, exists map[string]bool) error {
	for k, w := range m.gone {
		if exists[w.workflow] { // created again meanwhile: its state is live
			delete(m.gone, k)
			continue
		}
		select {
		case <-w.done:
		default:
			continue // next time
		}
		if err := m.cfg.Store.DeletePollStates(ctx, claimKey(w.workflow), 0); err != nil {
			return fmt.Errorf("dropping the mailbox state of deleted workflow %q: %w", w.workflow, err)
		}
		delete(m.gone, k)
	}
	return nil
}
