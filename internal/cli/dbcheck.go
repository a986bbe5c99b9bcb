package cli

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/weftworks/weft/store"
	"github.com/weftworks/weft/store/storesqlite"
)

// integrityCheck runs SQLite's PRAGMA quick_check at start and then every
// interval, and keeps the last result for /readyz: the check reads the
// whole file, too slow to run per request. A database that fails it makes
// the process not ready until a later check passes. PostgreSQL checks its
// own pages; there readiness is the ping alone.
type integrityCheck struct {
	check func(ctx context.Context) error
	log   *slog.Logger

	mu  sync.Mutex
	err error
}

// newIntegrityCheck returns the check of st, or nil when st is not SQLite.
// It looks at the concrete store before any wrapper is put around it.
func newIntegrityCheck(st store.Store, log *slog.Logger) *integrityCheck {
	s, ok := st.(*storesqlite.Store)
	if !ok {
		return nil
	}
	return &integrityCheck{check: s.QuickCheck, log: log}
}

func (c *integrityCheck) runOnce(ctx context.Context) {
	err := c.check(ctx)
	if err != nil && ctx.Err() != nil {
		return // stopped, not a verdict
	}
	if err != nil {
		err = fmt.Errorf("the SQLite database failed its integrity check (%w); stop Weft and restore the database from a backup, or recover it with the sqlite3 shell's .recover", err)
		c.log.Error("database integrity check failed", "err", err)
	}
	c.mu.Lock()
	c.err = err
	c.mu.Unlock()
}

// run checks now and then every interval (never when interval ≤ 0 after
// the first check) until ctx ends.
func (c *integrityCheck) run(ctx context.Context, interval time.Duration) {
	c.runOnce(ctx)
	if interval <= 0 {
		return
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			c.runOnce(ctx)
		}
	}
}

// ready returns the last check's verdict; nil before the first finished.
func (c *integrityCheck) ready() error {
	if c == nil {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err
}
