package audit

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/weftworks/weft/store"
)

// Match reports whether e passes f's actor, action, target and time
// filters (Before and Limit are paging, not filters).
func Match(f store.AuditFilter, e store.AuditEntry) bool {
	switch {
	case f.Actor != "" && e.Actor != f.Actor,
		f.Target != "" && e.Target != f.Target,
		!f.Since.IsZero() && e.Time.Before(f.Since),
		!f.Until.IsZero() && !e.Time.Before(f.Until):
		return false
	case f.Action == "":
		return true
	case strings.HasSuffix(f.Action, "."):
		return strings.HasPrefix(e.Action, f.Action)
	}
	return e.Action == f.Action
}

// Export writes the entries after seq `after` that match f as JSON lines,
// oldest first, reading a page at a time, and returns how many it wrote.
func Export(ctx context.Context, a store.Audit, w io.Writer, after int64, f store.AuditFilter) (int, error) {
	enc := json.NewEncoder(w)
	n := 0
	for {
		page, err := a.AuditChain(ctx, after, verifyPage)
		if err != nil {
			return n, err
		}
		for _, e := range page {
			after = e.Seq
			if !Match(f, e) {
				continue
			}
			if err := enc.Encode(e); err != nil {
				return n, fmt.Errorf("writing the export: %w", err)
			}
			n++
		}
		if len(page) < verifyPage {
			return n, nil
		}
	}
}
