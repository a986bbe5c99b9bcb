package storesqlite

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

// QuickCheck runs PRAGMA quick_check on a reader connection and returns an
// error listing the first problems it found, or nil when the database is
// intact. It reads every page, so it costs a scan of the file: callers run
// it at start and then now and then, not per request.
func (s *Store) QuickCheck(ctx context.Context) error {
	rows, err := s.rdb.QueryContext(ctx, "PRAGMA quick_check(10)")
	if err != nil {
		return fmt.Errorf("PRAGMA quick_check: %w", err)
	}
	defer rows.Close()
	var problems []string
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			return fmt.Errorf("PRAGMA quick_check: %w", err)
		}
		if line != "ok" {
			problems = append(problems, line)
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("PRAGMA quick_check: %w", err)
	}
	if len(problems) > 0 {
		return errors.New("PRAGMA quick_check found: " + strings.Join(problems, "; "))
	}
	return nil
}
