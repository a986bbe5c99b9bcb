package storesqlite

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/store"
)

var _ store.ExecutionSearcher = (*Store)(nil)

// inputMatchSQL is the text form of the trigger-data field at a JSON path
// (bound twice), compared with a value: true/false spelled out (json_extract
// gives 1/0), numbers as SQLite prints them. input is stored as a BLOB of
// JSON text, which SQLite's JSON functions read only as text; json_valid
// keeps one malformed row from failing the whole search.
const inputMatchSQL = `CASE WHEN json_valid(CAST(input AS TEXT)) THEN
	(CASE json_type(CAST(input AS TEXT), ?) WHEN 'true' THEN 'true' WHEN 'false' THEN 'false'
	 ELSE CAST(json_extract(CAST(input AS TEXT), ?) AS TEXT) END) IS ?
	ELSE 0 END`

// SearchExecutions lists executions newest first, narrowed by time, id
// prefix and trigger data; see store.ExecutionSearch for the scan bound.
func (s *Store) SearchExecutions(ctx context.Context, q store.ExecutionSearch) (store.ExecutionPage, error) {
	if err := q.Validate(); err != nil {
		return store.ExecutionPage{}, fmt.Errorf("searching executions: %w", err)
	}
	limit := pageLimit(q.Limit)
	var (
		where []string
		args  []any
	)
	if q.Workflow != "" {
		where = append(where, "workflow = ?")
		args = append(args, q.Workflow)
	}
	// A status alone has no index in created_at order: with a trigger-data
	// filter it is checked per row read, like the data, so the scan follows
	// executions_created and stops at MaxScan rows.
	statusPerRow := q.Input != nil && q.Workflow == "" && q.Status != ""
	if q.Status != "" && !statusPerRow {
		where = append(where, "status = ?")
		if store.StatusIndexable(q.Status) {
			where = append(where, store.StatusIndexTerm)
		}
		args = append(args, string(q.Status))
	}
	if q.IDPrefix != "" {
		// Ids hold letters, digits, - and _, all below '~': a range the primary key answers.
		where = append(where, "id >= ? AND id < ?")
		args = append(args, q.IDPrefix, q.IDPrefix+"~")
	}
	if !q.From.IsZero() {
		where = append(where, "created_at >= ?")
		args = append(args, q.From.UnixMicro())
	}
	if !q.To.IsZero() {
		where = append(where, "created_at < ?")
		args = append(args, q.To.UnixMicro())
	}
	if q.Cursor != "" {
		created, id, err := parseExecutionCursor(q.Cursor)
		if err != nil {
			return store.ExecutionPage{}, fmt.Errorf("searching executions: %w", err)
		}
		where = append(where, "(created_at < ? OR (created_at = ? AND id < ?))")
		args = append(args, created, created, id)
	}
	cond := ""
	if len(where) > 0 {
		cond = " WHERE " + strings.Join(where, " AND ")
	}
	if q.Input == nil {
		items, next, err := s.queryExecutions(ctx, "SELECT "+executionCols+" FROM executions"+cond+
			" ORDER BY created_at DESC, id DESC LIMIT ?", append(args, limit+1), limit)
		if err != nil {
			return store.ExecutionPage{}, fmt.Errorf("searching executions: %w", err)
		}
		return store.ExecutionPage{Items: items, Cursor: next}, nil
	}

	// Read (id, created_at, matches) newest first, at most MaxScan rows, and
	// stop as soon as the page is full: SQLite evaluates lazily, so the rows
	// after that are never read.
	maxScan := q.MaxScanOrDefault()
	path := "$." + strings.Join(q.Input.Path, ".")
	hitSQL, hitArgs := inputMatchSQL, []any{path, path, q.Input.Value}
	if statusPerRow {
		hitSQL, hitArgs = "status = ? AND "+inputMatchSQL, append([]any{string(q.Status)}, hitArgs...)
	}
	scanArgs := append(hitArgs, args...)
	rows, err := s.rdb.QueryContext(ctx, "SELECT id, created_at, "+hitSQL+" FROM executions"+cond+
		" ORDER BY created_at DESC, id DESC LIMIT ?", append(scanArgs, maxScan)...)
	if err != nil {
		return store.ExecutionPage{}, fmt.Errorf("searching executions: %w", err)
	}
	var (
		page store.ExecutionPage
		hits []string
		last weft.Execution
	)
	for rows.Next() {
		var (
			id      string
			created int64
			hit     bool
		)
		if err := rows.Scan(&id, &created, &hit); err != nil {
			rows.Close()
			return store.ExecutionPage{}, fmt.Errorf("searching executions: %w", err)
		}
		page.Scanned++
		last = weft.Execution{ID: id, CreatedAt: time.UnixMicro(created)}
		if hit {
			hits = append(hits, id)
			if len(hits) > limit {
				break
			}
		}
	}
	err = rows.Err()
	rows.Close()
	if err != nil {
		return store.ExecutionPage{}, fmt.Errorf("searching executions: %w", err)
	}
	more := len(hits) > limit
	if more {
		hits = hits[:limit]
	}
	if len(hits) > 0 {
		q := "SELECT " + executionCols + " FROM executions WHERE id IN (?" + strings.Repeat(", ?", len(hits)-1) + ") ORDER BY created_at DESC, id DESC"
		ids := make([]any, len(hits))
		for i, h := range hits {
			ids[i] = h
		}
		if page.Items, _, err = s.queryExecutions(ctx, q, ids, len(hits)); err != nil {
			return store.ExecutionPage{}, fmt.Errorf("searching executions: %w", err)
		}
	}
	switch {
	case more:
		page.Cursor = executionCursor(page.Items[len(page.Items)-1])
	case page.Scanned >= maxScan:
		page.ScanLimited = true
		page.Cursor = executionCursor(last)
	}
	return page, nil
}

// queryExecutions runs an execution query that may return limit+1 rows and
// gives the first limit with the cursor after them when there were more.
func (s *Store) queryExecutions(ctx context.Context, q string, args []any, limit int) ([]weft.Execution, string, error) {
	rows, err := s.rdb.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, "", err
	}
	defer rows.Close()
	out := make([]weft.Execution, 0, limit)
	for rows.Next() {
		e, err := scanExecution(rows)
		if err != nil {
			return nil, "", err
		}
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, "", err
	}
	if len(out) > limit {
		out = out[:limit]
		return out, executionCursor(out[limit-1]), nil
	}
	return out, "", nil
}
