package storesqlite

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
)

// The retention query runs every minute on the writer: it must walk the
// finished-at index, not every finished execution (with the status index it
// held the writer for hundreds of ms on a large database).
func TestPruneQueryUsesTheFinishedIndex(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, err := Open(ctx, filepath.Join(t.TempDir(), "w.db"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	rows, err := s.rdb.QueryContext(ctx, "EXPLAIN QUERY PLAN "+pruneSelectSQL, 1, 500)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var plan []string
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			t.Fatal(err)
		}
		plan = append(plan, detail)
	}
	if got := strings.Join(plan, "; "); !strings.Contains(got, "executions_finished") {
		t.Fatalf("prune plan = %s; want it to search executions_finished", got)
	}
}
