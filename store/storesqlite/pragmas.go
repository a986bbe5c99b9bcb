package storesqlite

import (
	"context"
	"fmt"
	"strconv"
	"time"
)

// Pragmas reports the writer connection's storage settings and sizes
// (auto_vacuum, journal_mode, synchronous, foreign_keys, page_count,
// freelist_count) and the number of dedupe keys, for diagnostics and tests.
func (s *Store) Pragmas(ctx context.Context) (map[string]string, error) {
	out := map[string]string{}
	err := s.do(ctx, func(w *writer, _ time.Time) error {
		for _, p := range []string{"auto_vacuum", "journal_mode", "synchronous", "foreign_keys", "page_count", "freelist_count"} {
			var v string
			if err := w.conn.QueryRowContext(w.ctx, "PRAGMA "+p).Scan(&v); err != nil {
				return fmt.Errorf("PRAGMA %s: %w", p, err)
			}
			out[p] = v
		}
		var n int
		if err := w.conn.QueryRowContext(w.ctx, "SELECT COUNT(*) FROM dedupe_keys").Scan(&n); err != nil {
			return fmt.Errorf("counting dedupe keys: %w", err)
		}
		out["dedupe_keys"] = strconv.Itoa(n)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("reading pragmas: %w", err)
	}
	return out, nil
}
