package audit

import (
	"context"
	"log/slog"
	"time"

	"github.com/weftworks/weft/store"
)

// pruneBatch is how many entries one prune transaction deletes.
const pruneBatch = 500

// Prune deletes entries older than keep in batches and returns how many
// went. Entries stay verifiable: the store keeps the last deleted entry's
// hash as the chain's anchor.
func Prune(ctx context.Context, a store.Audit, keep time.Duration, now time.Time) (int, error) {
	total := 0
	for {
		n, err := a.PruneAudit(ctx, now.Add(-keep), pruneBatch)
		total += n
		if err != nil || n < pruneBatch {
			return total, err
		}
	}
}

// RunRetention prunes every `every` until ctx ends; keep <= 0 keeps
// everything and returns at once.
func RunRetention(ctx context.Context, a store.Audit, keep, every time.Duration, log *slog.Logger) {
	if keep <= 0 {
		return
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		if n, err := Prune(ctx, a, keep, time.Now()); err != nil {
			log.Warn("pruning the audit trail", "err", err)
		} else if n > 0 {
			log.Info("pruned the audit trail", "deleted", n, "older_than", keep.String())
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
