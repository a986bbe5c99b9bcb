package circuit

import (
	"context"
	"log/slog"
	"time"
)

// Shared keeps the circuits open in any process sharing a database
// (store.CircuitStates).
type Shared interface {
	OpenCircuit(ctx context.Context, host string, until time.Time) error
	OpenCircuits(ctx context.Context, now time.Time) (map[string]time.Time, error)
}

// openedQueue bounds the openings waiting for Run to record them.
const openedQueue = 256

// openElsewhere reports whether another process holds host's circuit open.
func (b *Breakers) openElsewhere(host string) bool {
	if b.cfg.Shared == nil {
		return false
	}
	b.mu.Lock()
	until, ok := b.remote[host]
	b.mu.Unlock()
	return ok && until.After(b.cfg.Now())
}

// Run shares circuits through Config.Shared until ctx ends: each opening
// here is recorded at once, and the circuits open anywhere are read every
// SyncEvery. Without Shared it returns at once. A store that cannot be
// reached leaves the last known state in place and is tried again at the
// next tick.
func (b *Breakers) Run(ctx context.Context, logger *slog.Logger) error {
	if b.cfg.Shared == nil {
		return nil
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	t := time.NewTicker(b.cfg.SyncEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case host := <-b.opened:
			if err := b.cfg.Shared.OpenCircuit(ctx, host, b.cfg.Now().Add(b.cfg.Timeout)); err != nil && ctx.Err() == nil {
				logger.Warn("sharing an open circuit", "host", host, "err", err)
			}
		case <-t.C:
			open, err := b.cfg.Shared.OpenCircuits(ctx, b.cfg.Now())
			if err != nil {
				if ctx.Err() == nil {
					logger.Warn("reading the cluster's open circuits", "err", err)
				}
				continue
			}
			b.mu.Lock()
			b.remote = open
			b.mu.Unlock()
		}
	}
}
