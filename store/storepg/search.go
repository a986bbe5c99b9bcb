package storepg

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/store"
)

var _ store.ExecutionSearcher = (*Store)(nil)

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
	arg := func(v any) string { args = append(args, v); return "$" + strconv.Itoa(len(args)) }
	if q.Workflow != "" {
		where = append(where, "workflow = "+arg(q.Workflow))
	}
	// A status alone has no index in created_at order: with a trigger-data
	// filter it is checked per row read, like the data, so the scan follows
	// the created_at index and stops at MaxScan rows.
	statusPerRow := q.Input != nil && q.Workflow == "" && q.Status != ""
	if q.Status != "" && !statusPerRow {
		where = append(where, "status = "+arg(string(q.Status)))
		if store.StatusIndexable(q.Status) {
			where = append(where, store.StatusIndexTerm)
		}
	}
	if q.IDPrefix != "" {
		// Ids hold letters, digits, - and _, all below '~' in the C collation.
		where = append(where, "id >= "+arg(q.IDPrefix)+" AND id < "+arg(q.IDPrefix+"~"))
	}
	if !q.From.IsZero() {
		where = append(where, "created_at >= "+arg(q.From))
	}
	if !q.To.IsZero() {
		where = append(where, "created_at < "+arg(q.To))
	}
	if q.Cursor != "" {
		created, id, err := parseExecutionCursor(q.Cursor)
		if err != nil {
			return store.ExecutionPage{}, fmt.Errorf("searching executions: %w", err)
		}
		where = append(where, "(created_at, id) < ("+arg(created)+", "+arg(id)+")")
	}
	cond := ""
	if len(where) > 0 {
		cond = " WHERE " + strings.Join(where, " AND ")
	}
	if q.Input == nil {
		rows, err := s.pool.Query(ctx, "SELECT "+executionCols+" FROM executions"+cond+
			" ORDER BY created_at DESC, id DESC LIMIT "+arg(limit+1), args...)
		if err != nil {
			return store.ExecutionPage{}, fmt.Errorf("searching executions: %w", err)
		}
		out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (weft.Execution, error) { return scanExecution(r) })
		if err != nil {
			return store.ExecutionPage{}, fmt.Errorf("searching executions: %w", err)
		}
		page := store.ExecutionPage{Items: out}
		if len(out) > limit {
			page.Items = out[:limit]
			page.Cursor = executionCursor(page.Items[limit-1])
		}
		return page, nil
	}

	// The newest MaxScan rows of the narrowed set, each with whether its
	// trigger data matches (#>> gives the field's text: strings unquoted,
	// true/false, numbers as written); rows are read until the page is full.
	maxScan := q.MaxScanOrDefault()
	match := "(convert_from(input, 'UTF8')::jsonb #>> " + arg(q.Input.Path) + "::text[]) IS NOT DISTINCT FROM " + arg(q.Input.Value)
	if statusPerRow {
		match = "status = " + arg(string(q.Status)) + " AND " + match
	}
	sqlText := "SELECT id, created_at, COALESCE(" + match + ", false) FROM executions" + cond +
		" ORDER BY created_at DESC, id DESC LIMIT " + arg(maxScan)
	rows, err := s.pool.Query(ctx, sqlText, args...)
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
			created time.Time
			hit     bool
		)
		if err := rows.Scan(&id, &created, &hit); err != nil {
			rows.Close()
			return store.ExecutionPage{}, fmt.Errorf("searching executions: %w", err)
		}
		page.Scanned++
		last = weft.Execution{ID: id, CreatedAt: created}
		if hit {
			hits = append(hits, id)
			if len(hits) > limit {
				break
			}
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return store.ExecutionPage{}, fmt.Errorf("searching executions: %w", err)
	}
	more := len(hits) > limit
	if more {
		hits = hits[:limit]
	}
	if len(hits) > 0 {
		rows, err := s.pool.Query(ctx, "SELECT "+executionCols+" FROM executions WHERE id = ANY($1) ORDER BY created_at DESC, id DESC", hits)
		if err != nil {
			return store.ExecutionPage{}, fmt.Errorf("searching executions: %w", err)
		}
		if page.Items, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (weft.Execution, error) { return scanExecution(r) }); err != nil {
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
